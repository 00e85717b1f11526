-- The store's tables as airflow-ai-etl 0.1.0 made them (create_all, before migrations).
CREATE TABLE ai_etl_audit (
	id SERIAL NOT NULL,
	at TIMESTAMP WITH TIME ZONE NOT NULL,
	"user" VARCHAR(250) NOT NULL,
	action VARCHAR(50) NOT NULL,
	target VARCHAR(300) NOT NULL,
	outcome VARCHAR(20) NOT NULL,
	detail JSON NOT NULL,
	PRIMARY KEY (id)
);
CREATE TABLE ai_etl_deployment (
	id SERIAL NOT NULL,
	dag_id VARCHAR(250) NOT NULL,
	version INTEGER NOT NULL,
	action VARCHAR(20) NOT NULL,
	draft_id INTEGER,
	path TEXT NOT NULL,
	spec_sha256 VARCHAR(64) NOT NULL,
	deployed_by VARCHAR(250) NOT NULL,
	deployed_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id)
);
CREATE INDEX ai_etl_deployment_dag ON ai_etl_deployment (dag_id, id);
CREATE TABLE ai_etl_request (
	id SERIAL NOT NULL,
	request TEXT NOT NULL,
	conn_ids JSON NOT NULL,
	schedule VARCHAR(200),
	dag_id VARCHAR(250),
	offline BOOLEAN NOT NULL,
	feedback TEXT,
	parent_draft_id INTEGER,
	state VARCHAR(20) NOT NULL,
	error TEXT,
	created_by VARCHAR(250) NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
	dag_run_id VARCHAR(250),
	draft_id INTEGER,
	PRIMARY KEY (id)
);
CREATE INDEX ai_etl_request_created ON ai_etl_request (created_at);
CREATE TABLE ai_etl_draft (
	id SERIAL NOT NULL,
	request_id INTEGER NOT NULL,
	parent_id INTEGER,
	version INTEGER NOT NULL,
	dag_id VARCHAR(250),
	state VARCHAR(20) NOT NULL,
	reason TEXT,
	spec JSON,
	spec_yaml TEXT NOT NULL,
	source TEXT NOT NULL,
	report JSON NOT NULL,
	er JSON NOT NULL,
	created_by VARCHAR(250) NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(request_id) REFERENCES ai_etl_request (id) ON DELETE CASCADE
);
CREATE INDEX ai_etl_draft_dag ON ai_etl_draft (dag_id, version);
CREATE TABLE ai_etl_event (
	id SERIAL NOT NULL,
	request_id INTEGER NOT NULL,
	seq INTEGER NOT NULL,
	agent VARCHAR(100) NOT NULL,
	message TEXT NOT NULL,
	level VARCHAR(20) NOT NULL,
	duration_ms DOUBLE PRECISION,
	input_tokens INTEGER NOT NULL,
	output_tokens INTEGER NOT NULL,
	at TIMESTAMP WITH TIME ZONE NOT NULL,
	data JSON NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT ai_etl_event_seq UNIQUE (request_id, seq),
	FOREIGN KEY(request_id) REFERENCES ai_etl_request (id) ON DELETE CASCADE
);
CREATE TABLE ai_etl_usage (
	id SERIAL NOT NULL,
	request_id INTEGER NOT NULL,
	draft_id INTEGER,
	agent VARCHAR(100) NOT NULL,
	requests INTEGER NOT NULL,
	input_tokens INTEGER NOT NULL,
	output_tokens INTEGER NOT NULL,
	cost_usd DOUBLE PRECISION,
	at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(request_id) REFERENCES ai_etl_request (id) ON DELETE CASCADE
);
