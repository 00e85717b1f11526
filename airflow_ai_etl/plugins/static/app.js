// The AI ETL page: request -> live progress -> review (tabs) -> approve & deploy -> test run.
//
// Plain modern JavaScript, no framework and nothing loaded from the internet (the page runs inside
// the Airflow UI, often on machines without internet access). Every piece of data is inserted with
// textContent or setAttribute, never as HTML: request texts, specs and database comments are
// untrusted.
"use strict";

(() => {
  // The API lives next to the page: /ai-etl/static/app.js -> /ai-etl/api/ (works under a base path).
  const API = new URL("../api/", document.currentScript.src);
  const POLL_MS = 500;
  const RUN_POLL_MS = 2000;
  const PIPELINE_POLL_MS = 5000;
  const RUN_POLL_LIMIT_MS = 30 * 60 * 1000;
  const FINISHED_REQUEST = new Set(["ready", "failed"]);
  const FINISHED_RUN = new Set(["success", "failed", "upstream_failed", "skipped"]);
  // After this long without a worker (or without a new event), the page says where to look.
  const STALL_MS = 90 * 1000;
  // A generation run still waiting for the scheduler or a worker after this long: say what to check.
  const QUEUE_HINT_MS = 60 * 1000;

  const $ = (id) => document.getElementById(id);

  // ---------------------------------------------------------------- DOM helpers (text nodes only)

  /** An element with attributes and children; strings become text nodes, null/false are skipped. */
  function el(tag, attrs, ...children) {
    return build(document.createElement(tag), attrs, children);
  }

  function svg(tag, attrs, ...children) {
    return build(document.createElementNS("http://www.w3.org/2000/svg", tag), attrs, children);
  }

  function build(node, attrs, children) {
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.setAttribute("class", value);
      else if (key === "text") node.textContent = String(value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function clear(node) {
    node.replaceChildren();
    return node;
  }

  function show(node, visible = true) {
    node.hidden = !visible;
  }

  function pill(state) {
    const text = state || "unknown";
    return el("span", { class: `pill pill-${text.replace(/[^a-z_]/gi, "")}`, text });
  }

  function empty(message, hint) {
    return el("div", { class: "empty" }, el("strong", { text: message }), hint ? el("p", { text: hint }) : null);
  }

  /** A link into the Airflow UI itself: opened in the top window, not inside this iframe. */
  function airflowLink(href, text) {
    return el("a", { href, target: "_top", class: "airflow-link", text });
  }

  function dagHref(dagId) {
    return `/dags/${encodeURIComponent(dagId)}`;
  }

  function formatTime(iso) {
    if (!iso) return "";
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
  }

  function formatMs(ms) {
    if (ms === null || ms === undefined) return "";
    return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
  }

  function setBanner(node, error) {
    if (!error) {
      clear(node);
      show(node, false);
      return;
    }
    clear(node).append(...describeError(error));
    show(node, true);
  }

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, detail) {
      super(typeof detail === "string" ? detail : `HTTP ${status}`);
      this.status = status;
      this.detail = detail;
    }
  }

  async function api(method, path, body) {
    const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body instanceof Blob) {
      // an upload (the ER diagram): the bytes as they are; the server reads their type from them
      options.headers["Content-Type"] = body.type || "application/octet-stream";
      options.body = body;
    } else if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(new URL(path, API), options);
    } catch (error) {
      throw new ApiError(0, `The AI ETL API cannot be reached (${error.message}).`);
    }
    const text = await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = text;
      }
    }
    if (!response.ok) {
      const detail = data && typeof data === "object" && "detail" in data ? data.detail : data;
      throw new ApiError(response.status, detail || response.statusText || `HTTP ${response.status}`);
    }
    return data;
  }

  /** FastAPI's 422 detail: [{loc: [...], msg}] or our own [{path, message}] -> "field: message". */
  function fieldErrors(detail) {
    const items = Array.isArray(detail) ? detail : [detail];
    return items.map((item) => {
      if (item && typeof item === "object") {
        const where = item.path ?? (Array.isArray(item.loc) ? item.loc.filter((p) => p !== "body").join(".") : item.loc);
        const what = item.message ?? item.msg ?? JSON.stringify(item);
        return {
          where: where === undefined || where === null ? "" : String(where),
          what: String(what),
          hint: item.hint ? String(item.hint) : "",
        };
      }
      return { where: "", what: String(item) };
    });
  }

  function describeError(error) {
    if (!(error instanceof ApiError)) return [el("strong", { text: "Something went wrong: " }), String(error)];
    const heads = {
      0: "No connection",
      401: "Not logged in",
      403: "Not allowed",
      404: "Not found",
      409: "Conflict",
      422: "Invalid input",
    };
    const head = heads[error.status] || (error.status >= 500 ? `Server error (${error.status})` : `Error ${error.status}`);
    const parts = [el("strong", { text: `${head}: ` })];
    if (error.status === 401) {
      parts.push("your Airflow session has expired. ", el("a", { href: "/", target: "_top", text: "Log in again" }), ".");
      return parts;
    }
    const detail = error.detail;
    if (typeof detail === "string") {
      parts.push(detail);
    } else if (Array.isArray(detail)) {
      parts.push(fieldErrorList(fieldErrors(detail)));
    } else if (detail && typeof detail === "object" && ("msg" in detail || "message" in detail)) {
      // A refused deploy: {message, report?: {findings}, import_errors?}.
      parts.push(String(detail.message ?? detail.msg));
      const findings = ((detail.report && detail.report.findings) || []).filter((f) => f.severity === "error");
      if (findings.length) {
        parts.push(
          fieldErrorList(
            findings.map((f) => ({
              where: [f.step_id, f.field].filter(Boolean).join("."),
              what: f.message,
              hint: f.hint || "",
            })),
          ),
        );
      }
      const importErrors = detail.import_errors;
      if (importErrors && Object.keys(importErrors).length) {
        parts.push(el("pre", { class: "import-errors", text: typeof importErrors === "string" ? importErrors : JSON.stringify(importErrors, null, 2) }));
      }
    } else {
      parts.push(JSON.stringify(detail));
    }
    return parts;
  }

  function errorBanner(error) {
    return el("div", { class: "banner banner-error", role: "alert" }, ...describeError(error));
  }

  function fieldErrorList(errors) {
    return el(
      "ul",
      { class: "field-errors" },
      errors.map((e) =>
        el(
          "li",
          {},
          e.where ? el("code", { text: e.where }) : null,
          e.where ? " " : null,
          e.what,
          e.hint ? el("div", { class: "hint", text: `Hint: ${e.hint}` }) : null,
        ),
      ),
    );
  }

  // ---------------------------------------------------------------- state

  const state = {
    connections: [],
    request: null, // the RequestOut being watched
    lastSeq: null,
    running: new Map(), // agent -> the list item of its step that started and has not ended
    lastChange: 0,
    pollTimer: null,
    offline: false,
    draft: null,
    specOriginal: "",
    specEditor: null,
    access: null, // GET me: what the user may do in general
    tab: "graph",
    runTimer: null,
    pipelineTimer: null,
    pipeline: null, // the open draft's DAG as GET pipelines reports it
  };

  /** The offline planner stood in for an unavailable model: `why` is the request's or draft's `fallback`. */
  function fallbackNotice(why) {
    return el(
      "div",
      { class: "fallback", role: "note" },
      el("span", { class: "pill pill-warning badge-fallback", text: "Fallback: offline planner" }),
      ` The model was unavailable (${why}), so the deterministic offline planner made this draft, not the model: check that it does what was asked before deploying it.`,
    );
  }

  /** The critics' vote on a flagged draft (the draft's `critics`, stored data): the share that agrees and each critic's verdict and mismatches. */
  function flaggedNotice(critics) {
    const share = `${critics.agreeing} of ${critics.verdicts.length} critics agree (${Math.round(critics.agreement * 100)}%), below ${Math.round(critics.threshold * 100)}%`;
    const verdicts = el(
      "ul",
      { class: "critic-verdicts" },
      ...critics.verdicts.map((v) => {
        const said = v.verdict === "failed" ? `no answer (${v.error || "no reason given"})` : v.verdict;
        return el(
          "li",
          { "data-verdict": v.verdict },
          el("strong", { text: `${v.critic}: ` }),
          said,
          ...(v.mismatches || []).map((m) => el("div", { class: "mismatch", text: `${m.aspect}: asked "${m.asked}", the draft has "${m.draft}"` })),
        );
      }),
    );
    return el(
      "div",
      { class: "fallback flagged", role: "note" },
      el("span", { class: "pill pill-warning badge-flagged", text: "Flagged by the critics" }),
      ` ${share}: review the mismatches before deploying.`,
      verdicts,
    );
  }

  // ---------------------------------------------------------------- what the user may do

  const ACTION_BUTTONS = { deploy: "deploy", run: "test-run", rollback: "rollback", schedule: "schedule-toggle" };
  const ACTION_NAMES = { generate: "Generate", edit: "Edit the spec", deploy: "Approve & deploy", run: "Test run", rollback: "Roll back", schedule: "Turn the schedule on/off" };

  async function loadAccess() {
    try {
      state.access = await api("GET", "me");
    } catch (error) {
      setBanner($("global-error"), error);
      return;
    }
    const may = state.access.may;
    show($("generate"), may.generate);
    show($("regenerate"), may.generate);
    missingNote($("request-missing"), state.access, ["generate"]);
  }

  /** Say which actions are hidden and why (the reason in the tooltip and in the text for screen readers). */
  function missingNote(node, access, actions) {
    const missing = actions.filter((a) => access && !access.may[a]);
    clear(node);
    show(node, missing.length > 0);
    if (!missing.length) return;
    const why = missing.map((a) => `${ACTION_NAMES[a]}: ${access.why_not[a] || "not allowed"}`).join("\n");
    node.title = why;
    node.append(`Not available to you: ${missing.map((a) => ACTION_NAMES[a]).join(", ")} `, el("span", { class: "why", text: "(why?)" }));
  }

  /** Show only the draft actions the user may do on this draft's DAG (asked per DAG: rights can differ). */
  async function applyDraftAccess(draft) {
    let access = state.access;
    if (draft.dag_id) {
      try {
        access = await api("GET", `me?dag=${encodeURIComponent(draft.dag_id)}`);
      } catch {
        access = state.access; // the general answer still holds
      }
    }
    if (!access || state.draft !== draft) return;
    for (const [action, id] of Object.entries(ACTION_BUTTONS)) show($(id), Boolean(access.may[action]));
    show($("spec-validate"), true);
    // Without edit rights the spec is read-only; re-validating it against today's schemas stays open.
    const mayEdit = Boolean(access.may.edit);
    specEditor().setReadOnly(!mayEdit);
    $("spec-validate").title = mayEdit ? "" : "Re-validates the saved spec; editing needs DAG edit rights";
    missingNote($("draft-missing"), access, ["edit", "deploy", "run", "rollback", "schedule"]);
  }

  // ---------------------------------------------------------------- connections and the form

  async function loadConnections() {
    const source = $("source-conn");
    const target = $("target-conn");
    try {
      state.connections = (await api("GET", "connections")) || [];
    } catch (error) {
      setBanner($("request-error"), error);
      state.connections = [];
    }
    for (const [select, preferred] of [
      [source, 0],
      [target, 1],
    ]) {
      clear(select);
      select.append(el("option", { value: "", text: "Choose a connection…" }));
      for (const conn of state.connections) {
        // A connection whose provider is missing cannot be used: say which extra installs it.
        const label = `${conn.conn_id} (${conn.conn_type || "?"})`;
        const text = conn.missing ? `${label} — unusable: ${conn.missing}` : label;
        select.append(el("option", { value: conn.conn_id, text, disabled: Boolean(conn.missing) }));
      }
      const usable = state.connections.filter((conn) => !conn.missing);
      const pick = usable[Math.min(preferred, usable.length - 1)];
      if (pick) select.value = pick.conn_id;
    }
    const none = state.connections.length === 0;
    show($("conn-empty"), none);
    $("generate").disabled = none;
  }

  /** The doctor's problems with their fixes; nothing for callers who may not read them (403). */
  async function loadDoctor() {
    let findings = [];
    try {
      findings = (await api("GET", "doctor")) || [];
    } catch {
      findings = [];  // not allowed, or the checks could not run: the rest of the page works without
    }
    const problems = findings.filter((f) => !f.ok);
    clear($("doctor-list")).append(
      ...problems.map((f) => el("li", {}, el("strong", { text: `${f.check}: ` }), f.message, el("div", { class: "muted", text: `fix: ${f.fix}` })))
    );
    show($("doctor"), problems.length > 0);
  }

  function formRequest() {
    const text = $("request-text").value.trim();
    const source = $("source-conn").value;
    const target = $("target-conn").value;
    const problems = [];
    if (!text) problems.push({ where: "request", what: "describe what the pipeline should do" });
    if (!source) problems.push({ where: "source", what: "choose the connection to read from" });
    if (!target) problems.push({ where: "target", what: "choose the connection to write to" });
    if (problems.length) return { problems };
    return {
      body: {
        request: text,
        conn_ids: source === target ? [source] : [source, target],
        schedule: $("schedule").value.trim() || null,
        dag_id: $("dag-id").value.trim() || null,
        offline: $("offline").checked,
        feedback: null,
        parent_draft_id: null,
      },
    };
  }

  async function submitRequest(event) {
    event.preventDefault();
    const { body, problems } = formRequest();
    const banner = $("request-error");
    if (problems) {
      clear(banner).append(el("strong", { text: "Missing: " }), fieldErrorList(problems));
      show(banner, true);
      return;
    }
    await startGeneration(body, $("generate"), banner);
  }

  /** An ER diagram -> POST requests/image: a draft creating its tables on the target connection. */
  async function submitDiagram() {
    const banner = $("request-error");
    const file = $("er-image").files[0];
    const target = $("target-conn").value;
    const problems = [];
    if (!file) problems.push({ where: "ER diagram", what: "choose a PNG or JPEG image" });
    if (!target) problems.push({ where: "target", what: "choose the connection to create the tables on" });
    if (problems.length) {
      clear(banner).append(el("strong", { text: "Missing: " }), fieldErrorList(problems));
      show(banner, true);
      return;
    }
    const query = new URLSearchParams({ conn_id: target });
    const text = $("request-text").value.trim();
    const dagId = $("dag-id").value.trim();
    if (text) query.set("request", text);
    if (dagId) query.set("dag_id", dagId);
    setBanner(banner, null);
    const button = $("generate-image");
    button.disabled = true;
    try {
      const request = await api("POST", `requests/image?${query}`, file);
      watchRequest(request);
      loadRequests();
    } catch (error) {
      setBanner(banner, error);
    } finally {
      button.disabled = false;
    }
  }

  async function startGeneration(body, button, banner) {
    setBanner(banner, null);
    button.disabled = true;
    const label = button.textContent;
    button.textContent = "Submitting…";
    try {
      const request = await api("POST", "requests", body);
      state.offline = Boolean(body.offline);
      watchRequest(request);
      loadRequests();
    } catch (error) {
      setBanner(banner, error);
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
  }

  // ---------------------------------------------------------------- progress

  function watchRequest(request) {
    stopPolling();
    state.request = request;
    state.lastSeq = null;
    state.running = new Map();
    state.lastChange = Date.now();
    clear($("events"));
    setBanner($("progress-error"), null);
    show($("progress-card"), true);
    show($("draft-card"), false);
    state.draft = null;
    renderProgress(request);
    $("progress-card").scrollIntoView({ behavior: "smooth", block: "start" });
    poll();
  }

  function stopPolling() {
    if (state.pollTimer) clearTimeout(state.pollTimer);
    state.pollTimer = null;
  }

  async function poll() {
    const request = state.request;
    if (!request) return;
    let delay = POLL_MS;
    try {
      const query = state.lastSeq === null ? "" : `?after=${encodeURIComponent(state.lastSeq)}`;
      const fresh = await api("GET", `requests/${encodeURIComponent(request.id)}${query}`);
      if (state.request !== request) return; // another request was opened meanwhile
      setBanner($("progress-error"), null);
      if ((fresh.events || []).length || fresh.state !== state.request.state) state.lastChange = Date.now();
      appendEvents(fresh.events || []);
      state.request = { ...fresh, events: undefined };
      renderProgress(fresh);
      if (FINISHED_REQUEST.has(fresh.state)) {
        closeRunningSteps();
        stopPolling();
        loadRequests();
        if (fresh.draft_id !== null && fresh.draft_id !== undefined) await openDraft(fresh.draft_id);
        return;
      }
    } catch (error) {
      if (state.request !== request) return;
      setBanner($("progress-error"), error);
      if (error.status === 401 || error.status === 403 || error.status === 404) return; // retrying will not help
      delay = 3000;
    }
    state.pollTimer = setTimeout(poll, delay);
  }

  /**
   * Each agent step arrives as a start event (shown as running) and then an end event, which
   * takes the running line's place: the list shows what runs now and what each finished step did.
   */
  function appendEvents(events) {
    const list = $("events");
    for (const event of events) {
      if (state.lastSeq !== null && event.seq <= state.lastSeq) continue;
      state.lastSeq = event.seq;
      const starting = event.phase === "start";
      const meta = starting
        ? "running…"
        : [formatMs(event.duration_ms), event.tokens ? `${event.tokens} tokens` : ""].filter(Boolean).join(" · ");
      const level = starting ? "running" : String(event.level || "info").replace(/[^a-z]/g, "");
      const item = el(
        "li",
        { class: `event event-${level}`, "data-seq": event.seq, "data-agent": event.agent, "data-phase": starting ? "start" : "end" },
        el("span", { class: "agent", text: event.agent }),
        el("span", { class: "message", text: event.message }),
        el("span", { class: "meta", text: meta }),
      );
      const running = state.running.get(event.agent);
      if (running && !starting) {
        running.replaceWith(item);
        state.running.delete(event.agent);
      } else {
        list.append(item);
      }
      if (starting) state.running.set(event.agent, item);
    }
  }

  /** A run that ended inside a step leaves that step's start without an end: say it stopped there. */
  function closeRunningSteps() {
    for (const item of state.running.values()) {
      item.className = "event event-stopped";
      item.querySelector(".meta").textContent = "did not finish";
    }
    state.running.clear();
  }

  function renderProgress(request) {
    const stateNode = $("progress-state");
    stateNode.replaceWith(Object.assign(pill(request.state), { id: "progress-state" }));
    const quote = clear($("progress-request"));
    quote.append(request.request || "");
    if (request.feedback) quote.append(el("span", { class: "feedback", text: `Feedback: ${request.feedback}` }));
    const note = clear($("progress-note"));
    const running = !FINISHED_REQUEST.has(request.state);
    if (running) note.append(el("span", { class: "spinner", "aria-hidden": "true" }));
    const wait = request.waiting;
    const waitedMs = wait && wait.since ? Date.now() - Date.parse(wait.since) : 0;
    if (wait && !wait.waiting_for.startsWith("nothing")) {
      // Honest about the queue: what the run waits for, where, and for how long (Airflow's timestamps).
      note.append(`Waiting for ${wait.waiting_for}`, wait.since ? ` — ${Math.max(0, Math.round(waitedMs / 1000))} s so far` : "");
      note.append(el("span", { class: "muted", text: ` (pool ${wait.pool || "default_pool"}, ${wait.executor || "default executor"})` }));
    } else if (request.state === "queued") note.append("Waiting for Airflow to start the generation");
    else if (request.state === "running") note.append("The agents are working");
    else if (request.state === "ready") note.append("Draft ready for review");
    else if (request.state === "failed") note.append("Generation failed");
    if (request.dag_run_id) {
      note.append(
        " — run ",
        airflowLink(
          `/dags/ai_etl_generate/runs/${encodeURIComponent(request.dag_run_id)}`,
          request.dag_run_id,
        ),
        " of ai_etl_generate",
      );
    }
    if (request.fallback) note.append(fallbackNotice(request.fallback));
    const waiting = wait && !wait.waiting_for.startsWith("nothing");
    if (waiting && waitedMs > QUEUE_HINT_MS) {
      note.append(el("div", { class: "stall", text: queueHint(wait) }));
    } else if (running && !waiting && Date.now() - (state.lastChange || Date.now()) > STALL_MS) {
      note.append(
        el("div", { class: "stall", text: "No news from the agents for a while: the run of ai_etl_generate in Airflow shows its log." }),
      );
    }
    if (request.state === "failed" && request.error) {
      clear($("progress-error")).append(el("strong", { text: "Generation failed: " }), request.error);
      show($("progress-error"), true);
    }
  }

  /** What to check when no worker picked the generation run within a minute, by the stage it waits in. */
  function queueHint(wait) {
    if (wait.waiting_for.startsWith("the scheduler to start")) {
      return "Not started within a minute: is Airflow's scheduler running (airflow jobs check --job-type SchedulerJob), is the DAG ai_etl_generate unpaused, and has it reached max_active_runs?";
    }
    if (wait.waiting_for.startsWith("the scheduler to queue")) {
      return `Not queued within a minute: are slots free in pool ${wait.pool || "default_pool"} and under [core] parallelism? The scheduler's log says why it holds the task.`;
    }
    return `No worker picked the task within a minute: is a worker of the ${wait.executor || "executor"} running and does it have free slots? The task's log in Airflow shows where it waits.`;
  }

  // ---------------------------------------------------------------- the draft

  async function openDraft(draftId) {
    try {
      const draft = await api("GET", `drafts/${encodeURIComponent(draftId)}`);
      renderDraft(draft);
    } catch (error) {
      show($("draft-card"), true);
      setBanner($("action-error"), error);
    }
  }

  function renderDraft(draft) {
    state.draft = draft;
    state.specOriginal = draft.spec_yaml || "";
    show($("draft-card"), true);
    setBanner($("action-error"), null);
    $("draft-title").textContent = `Draft: ${draft.dag_id || "(no dag_id)"} · version ${draft.version}`;
    const isLive = Boolean(draft.deployed && draft.deployed.draft_id === draft.id);
    $("draft-state").replaceWith(Object.assign(pill(isLive ? "deployed" : draft.state), { id: "draft-state" }));
    const deployed = clear($("draft-deployed"));
    if (draft.deployed) {
      deployed.append(
        `Live in Airflow: version ${draft.deployed.version}`,
        draft.deployed.draft_id === draft.id ? " (this draft) · " : " · ",
        airflowLink(dagHref(draft.dag_id), "open DAG"),
      );
    } else {
      deployed.append("Not deployed yet");
    }
    if (draft.fallback) deployed.append(fallbackNotice(draft.fallback));
    if (draft.flagged && draft.critics) deployed.append(flaggedNotice(draft.critics));
    // Clauses of the request the plan leaves out (agents/coverage.py): said up front, not only in the Validation tab.
    const unplanned = ((draft.report && draft.report.findings) || []).filter((f) => f.code === "request.not_planned");
    if (unplanned.length) {
      deployed.append(
        el(
          "div",
          { class: "fallback not-planned", role: "note" },
          el("span", { class: "pill pill-warning", text: "Not understood" }),
          ` ${unplanned.map((f) => f.message.replace(/^not understood: /, "")).join("; ")}. Regenerate with feedback or edit the spec.`,
        ),
      );
    }
    const ok = draft.state === "ready" && draft.report && draft.report.ok;
    const live = Boolean(draft.deployed && draft.deployed.draft_id === draft.id && !draft.diff);
    const codeFiles = (draft.files || []).filter((file) => file.is_code);
    show($("code-approval"), codeFiles.length > 0);
    clear($("code-files")).append(
      ...codeFiles.flatMap((file) => [
        el("h4", { text: `${file.step_id}: ${file.path}` }),
        el("p", { class: "muted", text: `sha256 ${file.sha256}` }),
        el("pre", { class: "code", text: file.text }),
      ]),
    );
    $("approve-code").checked = false;
    state.needsCodeApproval = codeFiles.length > 0;
    const deployButton = $("deploy");
    deployButton.disabled = !ok || live || state.needsCodeApproval;
    deployButton.textContent = live ? "Deployed" : "Approve & deploy";
    deployButton.title = ok ? (live ? "This draft is the live version" : "") : "Only a valid draft can be deployed";
    $("test-run").disabled = !draft.deployed;
    $("test-run").title = draft.deployed ? "" : "Deploy the pipeline first";
    $("rollback").disabled = !draft.deployed;
    $("action-status").textContent = "";
    if (draft.state === "failed") {
      clear($("action-error")).append(
        el("strong", { text: "This draft failed: " }),
        draft.reason || "see the Validation tab.",
        " Edit the spec or regenerate with feedback.",
      );
      show($("action-error"), true);
    }
    applyDraftAccess(draft);
    watchPipeline(draft.deployed ? draft.dag_id : null);
    renderGraph(draft.graph);
    renderEr(draft.er, draft.spec);
    renderSpec(draft);
    renderCode(draft.source);
    renderReport(draft.report);
    renderDiff(draft);
    renderUsage(draft.usage);
    selectTab(state.tab);
  }

  function panel(name) {
    return document.querySelector(`[data-panel="${name}"]`);
  }

  function selectTab(name) {
    state.tab = name;
    for (const tab of document.querySelectorAll("#tabs [role=tab]")) {
      const selected = tab.dataset.tab === name;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
    }
    for (const node of document.querySelectorAll("[data-panel]")) show(node, node.dataset.panel === name);
  }

  // ---------------------------------------------------------------- pipeline graph (SVG)

  /** `text` in lines of at most `width` characters, broken at spaces (a longer word gets its own line). */
  function wrapText(text, width) {
    const lines = [];
    let line = "";
    for (const word of String(text).split(/\s+/).filter(Boolean)) {
      if (line && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line ? `${line} ${word}` : word;
      }
    }
    if (line) lines.push(line);
    return lines.flatMap((l) => (l.length > width ? l.match(new RegExp(`.{1,${width}}`, "g")) : [l]));
  }

  function renderGraph(graph) {
    const target = clear(panel("graph"));
    const nodes = (graph && graph.nodes) || [];
    const edges = (graph && graph.edges) || [];
    if (!nodes.length) {
      target.append(empty("No steps in this draft.", "The spec has no steps to draw."));
      return;
    }
    // Node text wraps (never cut): the box grows with its id and description.
    const W = 230, LINE = 15, CHARS = 30;
    const boxes = nodes.map((node) => {
      const title = wrapText(node.id, CHARS - 4);
      const desc = node.label && node.label !== node.id ? wrapText(node.label, CHARS) : [];
      return { node, title, desc, height: 24 + (title.length + 1 + desc.length) * LINE };
    });
    const ids = new Set(nodes.map((n) => n.id));
    const drawn = edges.filter(([from, to]) => ids.has(from) && ids.has(to));
    const layout = Vendor.layoutGraph(boxes.map((b) => ({ id: b.node.id, width: W, height: b.height })), drawn);
    const root = diagramRoot("graph", layout.width, layout.height, `Pipeline graph with ${nodes.length} steps`, "arrow", "arrow-head");
    for (const edge of layout.edges) {
      const [first, ...rest] = edge.points;
      root.append(
        svg("path", {
          class: "edge",
          d: `M ${first.x} ${first.y} ${rest.map((p) => `L ${p.x} ${p.y}`).join(" ")}`,
          "marker-end": "url(#arrow)",
          "data-from": edge.from,
          "data-to": edge.to,
        }),
      );
    }
    for (const { node, title, desc, height } of boxes) {
      const centre = layout.nodes[node.id];
      const kind = String(node.kind || "step");
      const texts = [
        ...title.map((line, i) => svg("text", { x: 14, y: 20 + i * LINE, class: "node-label", text: line })),
        svg("text", { x: 14, y: 20 + title.length * LINE, class: "node-kind", text: kind.replace(/_/g, " ") }),
        ...desc.map((line, i) => svg("text", { x: 14, y: 20 + (title.length + 1 + i) * LINE, class: "node-desc", text: line })),
      ];
      root.append(
        svg(
          "g",
          {
            class: `node kind-${kind.replace(/[^a-z_]/gi, "")}`,
            transform: `translate(${centre.x - W / 2} ${centre.y - height / 2})`,
            "data-id": node.id,
          },
          svg("title", { text: `${node.id} (${kind})${node.label && node.label !== node.id ? `: ${node.label}` : ""}` }),
          svg("rect", { width: W, height, rx: 6 }),
          svg("rect", { class: "kind-bar", width: 5, height, rx: 2 }),
          ...texts,
        ),
      );
    }
    target.append(el("div", { class: "diagram-scroll" }, root));
  }

  /** An SVG canvas of the given size with one arrow-head marker (`url(#markerId)`) for its lines. */
  function diagramRoot(kind, width, height, label, markerId, headClass) {
    return svg(
      "svg",
      { class: `diagram ${kind}`, viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": label },
      svg(
        "defs",
        {},
        svg(
          "marker",
          { id: markerId, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" },
          svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: headClass }),
        ),
      ),
    );
  }

  // ---------------------------------------------------------------- ER diagram (SVG)

  function tableKey(table) {
    return `${table.conn_id}\u0000${table.name}`;
  }

  /** A relation names a table by "name", "conn:name" or "conn.name": find the box it means. */
  function findTable(tables, ref, preferConn) {
    const name = String(ref);
    const candidates = tables.filter(
      (t) => t.name === name || `${t.conn_id}:${t.name}` === name || `${t.conn_id}.${t.name}` === name,
    );
    return candidates.find((t) => t.conn_id === preferConn) || candidates[0] || null;
  }

  /** Transfers in the spec as [source conn, source table, target conn, target table] (for flow lines). */
  function specFlows(spec) {
    const flows = [];
    for (const step of (spec && spec.steps) || []) {
      const source = step.source || {};
      const target = step.target || {};
      if (step.kind === "transfer" && source.conn_id && target.conn_id && target.table) {
        flows.push({ id: step.id, from: [source.conn_id, source.table || null], to: [target.conn_id, target.table] });
      }
    }
    return flows;
  }

  /** A table named in a spec ("public.customers") against the catalog's table ("customers"). */
  function sameTable(table, conn, name) {
    if (!name || table.conn_id !== conn) return false;
    const bare = (n) => String(n).toLowerCase().split(".").pop().replace(/"/g, "");
    return table.name === name || bare(table.name) === bare(name);
  }

  function renderEr(er, spec) {
    const target = clear(panel("er"));
    const tables = (er && er.tables) || [];
    const relations = (er && er.relations) || [];
    if (!tables.length) {
      target.append(empty("No tables to draw.", "The request does not touch any table the catalogs know."));
      return;
    }
    const ROW = 20, HEAD = 28, MAX_COLS = 24, NAME_PX = 7.3, TYPE_PX = 6.7, MAX_W = 460;
    const flows = specFlows(spec);
    // Full type names: a box is as wide as its longest name + type (up to MAX_W); a row that still
    // does not fit puts the type on a line of its own.
    const boxes = new Map();
    for (const table of tables) {
      const cols = table.columns || [];
      const shown = cols.slice(0, MAX_COLS);
      const need = (c) => 46 + String(c.name).length * NAME_PX + 14 + String(c.type || "").length * TYPE_PX;
      const headNeed = 20 + `${table.conn_id} · ${table.name}`.length * 7.6;
      const w = Math.min(MAX_W, Math.max(250, headNeed, ...shown.map(need)));
      const rows = shown.map((c) => (need(c) > w ? 2 : 1));
      const offsets = rows.reduce((acc, r, i) => [...acc, acc[i] + r], [0]);
      const lineCount = offsets[offsets.length - 1] + (cols.length > MAX_COLS ? 1 : 0);
      const h = HEAD + Math.max(lineCount, 1) * ROW + 6;
      boxes.set(tableKey(table), { table, w, h, shown, rows, offsets, hidden: cols.length - shown.length, x: 0, y: 0 });
    }
    // Layout (dagre): foreign keys and transfer flows are the edges, so related tables sit together.
    const links = [];
    for (const rel of relations) {
      const from = findTable(tables, rel.from_table, rel.conn_id);
      const to = findTable(tables, rel.to_table, rel.conn_id || (from && from.conn_id));
      if (from && to && from !== to) links.push([tableKey(from), tableKey(to)]);
    }
    for (const flow of flows) {
      const from = tables.find((t) => sameTable(t, flow.from[0], flow.from[1]));
      const to = tables.find((t) => sameTable(t, flow.to[0], flow.to[1]));
      if (from && to && from !== to) links.push([tableKey(from), tableKey(to)]);
    }
    const layout = Vendor.layoutGraph(
      [...boxes.entries()].map(([id, b]) => ({ id, width: b.w, height: b.h })),
      links,
      { direction: "LR", nodeSep: 26, rankSep: 90 },
    );
    for (const [id, box] of boxes) {
      box.x = layout.nodes[id].x - box.w / 2;
      box.y = layout.nodes[id].y - box.h / 2;
    }
    const width = layout.width + 40;
    const height = layout.height;
    const root = diagramRoot("er", width, height, `ER diagram of ${tables.length} tables`, "er-arrow", "flow-head");
    const rowY = (box, column) => {
      const index = box.shown.findIndex((c) => c.name === column);
      return box.y + HEAD + (index < 0 ? 0 : box.offsets[index]) * ROW + ROW / 2 + 3;
    };
    const lines = svg("g", { class: "relations" });
    relations.forEach((rel, index) => {
      const from = findTable(tables, rel.from_table, rel.conn_id);
      const to = findTable(tables, rel.to_table, rel.conn_id || (from && from.conn_id));
      if (!from || !to) return;
      const a = boxes.get(tableKey(from));
      const b = boxes.get(tableKey(to));
      const y1 = rowY(a, (rel.from_columns || [])[0]);
      const y2 = rowY(b, (rel.to_columns || [])[0]);
      let d;
      let x1, x2;
      if (Math.abs(a.x + a.w / 2 - (b.x + b.w / 2)) < 1) {
        // Same column: loop out to the right of the boxes.
        x1 = a.x + a.w;
        x2 = b.x + b.w;
        const out = x1 + 24 + 12 * (index % 4) + Math.abs(y2 - y1) / 30;
        d = `M ${x1} ${y1} C ${out} ${y1}, ${out} ${y2}, ${x2} ${y2}`;
      } else {
        const leftToRight = a.x < b.x;
        x1 = leftToRight ? a.x + a.w : a.x;
        x2 = leftToRight ? b.x : b.x + b.w;
        const bend = (x2 - x1) / 2;
        d = `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`;
      }
      const label = `${from.name}(${(rel.from_columns || []).join(", ")}) → ${to.name}(${(rel.to_columns || []).join(", ")})`;
      lines.append(
        svg(
          "g",
          { class: "relation" },
          svg("title", { text: label }),
          svg("path", { d, class: "relation-line" }),
          svg("circle", { cx: x1, cy: y1, r: 3.5, class: "relation-many" }),
          svg("circle", { cx: x2, cy: y2, r: 3.5, class: "relation-one" }),
        ),
      );
    });
    for (const box of boxes.values()) {
      const { table, x, y, w: W, h } = box;
      const group = svg(
        "g",
        { class: "er-table", transform: `translate(${x} ${y})`, "data-table": table.name, "data-conn": table.conn_id },
        svg("title", { text: `${table.conn_id}: ${table.name}${table.comment ? ` — ${table.comment}` : ""}` }),
        svg("rect", { width: W, height: h, rx: 6, class: "er-box" }),
        svg("path", { d: `M 0 6 a 6 6 0 0 1 6 -6 h ${W - 12} a 6 6 0 0 1 6 6 v ${HEAD - 6} h ${-W} z`, class: "er-head" }),
        svg("text", { x: 10, y: 19, class: "er-name" }, svg("tspan", { class: "er-conn", text: `${table.conn_id} · ` }), table.name),
      );
      box.shown.forEach((column, i) => {
        const cy = HEAD + box.offsets[i] * ROW + ROW / 2 + 7;
        const type = String(column.type || "");
        // A type that does not fit beside the name goes on its own line, right-aligned: never cut.
        const typeY = box.rows[i] === 2 ? cy + ROW : cy;
        group.append(
          svg(
            "g",
            { class: column.pk ? "er-col pk" : "er-col" },
            svg("title", { text: `${column.name} ${type}${column.pk ? " (primary key)" : ""}` }),
            svg("text", { x: 10, y: cy, class: "er-pk", text: column.pk ? "PK" : "" }),
            svg("text", { x: 36, y: cy, class: "er-col-name", text: column.name }),
            svg("text", { x: W - 10, y: typeY, class: "er-col-type", "text-anchor": "end", text: type }),
          ),
        );
      });
      const shownLines = box.offsets[box.offsets.length - 1];
      if (box.hidden > 0) {
        group.append(svg("text", { x: 36, y: HEAD + shownLines * ROW + ROW / 2 + 7, class: "er-more", text: `+ ${box.hidden} more columns` }));
      }
      if (!box.shown.length) group.append(svg("text", { x: 10, y: HEAD + ROW / 2 + 7, class: "er-more", text: "no columns known" }));
      root.append(group);
    }
    // Data flow of each transfer: the table it reads (when it reads a table) to the table it writes.
    for (const flow of flows) {
      const from = tables.find((t) => sameTable(t, flow.from[0], flow.from[1]));
      const to = tables.find((t) => sameTable(t, flow.to[0], flow.to[1]));
      if (!from || !to || from === to) continue;
      const a = boxes.get(tableKey(from));
      const b = boxes.get(tableKey(to));
      if (Math.abs(a.x + a.w / 2 - (b.x + b.w / 2)) < 1) continue;
      const leftToRight = a.x < b.x;
      const x1 = leftToRight ? a.x + a.w : a.x;
      const x2 = leftToRight ? b.x : b.x + b.w;
      const y1 = a.y + HEAD / 2;
      const y2 = b.y + HEAD / 2;
      const bend = (x2 - x1) / 2;
      lines.append(
        svg(
          "g",
          { class: "flow", "data-step": flow.id },
          svg("title", { text: `${flow.id}: ${from.conn_id}.${from.name} → ${to.conn_id}.${to.name}` }),
          svg("path", {
            d: `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`,
            class: "flow-line",
            "marker-end": "url(#er-arrow)",
          }),
        ),
      );
    }
    root.append(lines); // over the boxes' edges
    target.append(
      el("div", { class: "diagram-scroll" }, root),
      el(
        "p",
        { class: "muted legend" },
        "PK marks primary-key columns; a line joins a foreign key (",
        el("span", { class: "dot dot-many" }),
        ") to the key it references (",
        el("span", { class: "dot dot-one" }),
        "); a dashed arrow is a transfer step's data flow.",
        relations.length ? "" : " The catalogs declare no foreign keys between these tables.",
      ),
    );
  }

  // ---------------------------------------------------------------- spec editor (CodeMirror)

  const Vendor = window.AiEtlVendor;

  function specEditor() {
    if (!state.specEditor) {
      state.specEditor = Vendor.createEditor($("spec-editor"), {
        language: "yaml",
        label: "Pipeline spec (YAML)",
        onChange: updateSpecDirty,
      });
    }
    return state.specEditor;
  }

  function renderSpec(draft) {
    const editor = specEditor();
    editor.setDoc(draft.spec_yaml || "");
    clear($("spec-result"));
    showSpecFindings(((draft.report && draft.report.findings) || []).map(findingProblem));
    updateSpecDirty();
  }

  function findingProblem(f) {
    return { path: [f.step_id, f.field].filter(Boolean).join("."), message: f.message, severity: f.severity, hint: f.hint };
  }

  function escapeRegExp(text) {
    return String(text).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  /**
   * The 1-based line of the spec a problem is about: the line a YAML error names, else the line of
   * the field its path names (`steps[0](load).source.sql`, `load.source.sql`, `schedule`), else 1.
   */
  function specLine(text, path, message) {
    const yamlError = /line (\d+), column \d+/.exec(message || "");
    if (yamlError) return Number(yamlError[1]);
    const lines = text.split("\n");
    const parts = String(path || "")
      .replace(/\[\d+\]\(([^)]+)\)/g, ".$1")
      .replace(/\[\d+\]/g, "")
      .split(".")
      .filter(Boolean);
    let at = 0;
    for (const part of parts) {
      const name = escapeRegExp(part);
      const step = new RegExp(`^\\s*-\\s+id:\\s*['"]?${name}['"]?\\s*$`);
      const key = new RegExp(`^\\s*(-\\s+)?['"]?${name}['"]?\\s*:`);
      const found = lines.findIndex((line, i) => i >= at && (step.test(line) || key.test(line)));
      if (found >= 0) at = found;
    }
    return at + 1;
  }

  /** Problems [{path, message, severity}] as inline marks at their lines of the spec editor. */
  function showSpecFindings(problems) {
    const editor = specEditor();
    const text = editor.getDoc();
    editor.showFindings(
      problems.map((p) => ({
        line: specLine(text, p.path, p.message),
        severity: p.severity === "warning" ? "warning" : p.severity === "info" ? "info" : "error",
        message: `${p.path ? `${p.path}: ` : ""}${p.message}${p.hint ? ` (hint: ${p.hint})` : ""}`,
      })),
    );
  }

  function updateSpecDirty() {
    const dirty = specEditor().getDoc() !== state.specOriginal;
    $("spec-dirty").textContent = dirty ? "Edited: re-validating saves a new draft version." : "";
    $("spec-reset").disabled = !dirty;
  }

  async function revalidateSpec() {
    const draft = state.draft;
    if (!draft) return;
    const result = clear($("spec-result"));
    const button = $("spec-validate");
    button.disabled = true;
    button.textContent = "Validating…";
    const text = specEditor().getDoc();
    try {
      if (text === state.specOriginal) {
        const report = await api("POST", `drafts/${encodeURIComponent(draft.id)}/validate`);
        state.draft.report = report;
        renderReport(report);
        showSpecFindings((report.findings || []).map(findingProblem));
        result.append(reportSummary(report, "Validated against the current schemas"));
      } else {
        const fresh = await saveSpecEdit(draft.id, text);
        if (!fresh) {
          result.append(el("div", { class: "banner banner-error", role: "alert", text: "Not saved: the grants were not confirmed." }));
          return;
        }
        state.tab = "spec";
        renderDraft(fresh);
        $("spec-result").append(reportSummary(fresh.report, `Saved as version ${fresh.version}`));
        loadRequests();
      }
    } catch (error) {
      // A refused edit stores nothing: the text stays in the editor, its problems marked at their lines.
      if (error instanceof ApiError && error.status === 422 && Array.isArray(error.detail)) {
        showSpecFindings(error.detail.map((d) => ({ path: d.path ?? "", message: d.msg ?? String(d), hint: d.hint })));
      }
      result.append(errorBanner(error));
    } finally {
      button.disabled = false;
      button.textContent = "Re-validate";
    }
  }

  /** PUT the edited spec; an edit adding destructive grants is sent again only once the person has
   * confirmed them in the dialog (null when they did not). */
  async function saveSpecEdit(draftId, text) {
    const path = `drafts/${encodeURIComponent(draftId)}`;
    try {
      return await api("PUT", path, { spec_yaml: text });
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 409 && Array.isArray(error.detail?.grants))) throw error;
      if (!(await confirmGrants(error.detail))) return null;
      return api("PUT", path, { spec_yaml: text, confirm_grants: true });
    }
  }

  /** Show the grants an edit adds and its spec diff; resolves true only on an explicit "Grant". */
  function confirmGrants(detail) {
    const dialog = $("grant-dialog");
    $("grant-message").textContent = detail.message || "";
    clear($("grant-list")).append(
      ...detail.grants.map((g) =>
        el("li", {}, el("code", { text: g.operation }), " on ", el("code", { text: g.table }), ` (step ${g.step}, ${g.field})`),
      ),
    );
    clear($("grant-diff")).append(diffBlock(detail.diff || "").pre);
    dialog.returnValue = ""; // Escape closes without a value: that is a "no"
    dialog.showModal();
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
    });
  }

  function reportSummary(report, prefix) {
    const findings = (report && report.findings) || [];
    const errors = findings.filter((f) => f.severity === "error").length;
    const ok = report && report.ok;
    return el(
      "div",
      { class: `banner ${ok ? "banner-ok" : "banner-error"}` },
      el("strong", { text: `${prefix}: ` }),
      ok ? `valid${findings.length ? ` (${findings.length} note${findings.length > 1 ? "s" : ""})` : ""}.` : `${errors} error${errors === 1 ? "" : "s"} — see the Validation tab.`,
    );
  }

  // ---------------------------------------------------------------- code (read-only CodeMirror, Python)

  function renderCode(source) {
    const target = clear(panel("code"));
    if (!source) {
      target.append(empty("No DAG file was rendered.", "A draft that fails validation is not rendered."));
      return;
    }
    const lines = source.split("\n").length;
    const view = el("div", { class: "code-view", id: "code-view" });
    target.append(
      el(
        "div",
        { class: "code-toolbar" },
        el("span", { class: "muted", text: `${lines} lines · read-only · the file that will be deployed` }),
        el("button", { type: "button", class: "btn btn-small", onclick: () => copyText(source), text: "Copy" }),
      ),
      view,
    );
    Vendor.createEditor(view, { doc: source, language: "python", readOnly: true, label: "Rendered DAG file (Python)" });
  }

  async function copyText(text) {
    try {
      await navigator.clipboard.writeText(text);
      $("action-status").textContent = "Copied to the clipboard.";
    } catch {
      $("action-status").textContent = "The browser refused clipboard access.";
    }
  }

  // ---------------------------------------------------------------- validation report

  function renderReport(report) {
    const target = clear(panel("report"));
    const findings = (report && report.findings) || [];
    const count = $("findings-count");
    count.textContent = findings.length ? String(findings.length) : "";
    count.className = `count${findings.some((f) => f.severity === "error") ? " count-error" : ""}`;
    if (!report) {
      target.append(empty("No validation report."));
      return;
    }
    target.append(
      el(
        "div",
        { class: `banner ${report.ok ? "banner-ok" : "banner-error"}` },
        report.ok
          ? el("strong", { text: "Valid: the spec matches the real schemas of its connections." })
          : el("strong", { text: "Not valid: fix the errors below (edit the spec, or regenerate with feedback)." }),
      ),
    );
    if (!findings.length) {
      target.append(empty("No findings."));
      return;
    }
    target.append(
      el(
        "table",
        { class: "table findings" },
        el("thead", {}, el("tr", {}, ["Severity", "Step", "Code", "Message", "Where"].map((h) => el("th", { text: h })))),
        el(
          "tbody",
          {},
          findings.map((f) =>
            el(
              "tr",
              {},
              el("td", {}, pill(f.severity)),
              el("td", {}, f.step_id ? el("code", { text: f.step_id }) : "—"),
              el("td", {}, el("code", { text: f.code || "" })),
              el("td", {}, f.message || "", f.hint ? el("div", { class: "hint", text: `Hint: ${f.hint}` }) : null),
              el("td", {}, f.field || f.path ? el("code", { text: f.field || f.path }) : ""),
            ),
          ),
        ),
      ),
    );
  }

  // ---------------------------------------------------------------- diff

  /** A unified diff as coloured lines, with its counts of added and removed lines. */
  function diffBlock(diff) {
    const pre = el("pre", { class: "diff" });
    let added = 0, removed = 0;
    for (const line of diff.replace(/\n$/, "").split("\n")) {
      let kind = "ctx";
      if (line.startsWith("+++") || line.startsWith("---")) kind = "file";
      else if (line.startsWith("@@")) kind = "hunk";
      else if (line.startsWith("+")) (kind = "add"), added++;
      else if (line.startsWith("-")) (kind = "del"), removed++;
      pre.append(el("span", { class: `diff-line diff-${kind}`, text: `${line}\n` }));
    }
    return { pre, added, removed };
  }

  function renderDiff(draft) {
    const target = clear(panel("diff"));
    if (!draft.deployed) {
      target.append(empty("Not deployed yet.", "There is no live version to compare with: deploying adds this DAG to Airflow."));
      return;
    }
    if (!draft.diff) {
      target.append(empty("No changes.", `This draft renders exactly the live file (version ${draft.deployed.version}).`));
      return;
    }
    const { pre, added, removed } = diffBlock(draft.diff);
    target.append(
      el("p", { class: "muted" }, `Against the live version ${draft.deployed.version}: `, el("span", { class: "diff-add-count", text: `+${added}` }), " ", el("span", { class: "diff-del-count", text: `−${removed}` })),
      pre,
    );
  }

  // ---------------------------------------------------------------- usage

  function renderUsage(usage) {
    const target = clear(panel("usage"));
    const byAgent = (usage && usage.by_agent) || {};
    const rows = Array.isArray(byAgent) ? byAgent.map((u) => [u.agent, u]) : Object.entries(byAgent);
    const total = (usage && usage.total_tokens) || 0;
    const cost = usage ? usage.cost_usd : null;
    target.append(
      el(
        "div",
        { class: "stats" },
        stat("Total tokens", total.toLocaleString()),
        stat("Cost", cost === null || cost === undefined ? (total ? "price unknown" : "$0.00") : `$${Number(cost).toFixed(4)}`),
        stat("Agents", String(rows.length)),
      ),
    );
    if (!rows.length || !total) {
      target.append(empty("No model was used.", "This draft came from the offline planner: no LLM calls, no cost."));
      if (!rows.length) return;
    }
    const numeric = ["requests", "input_tokens", "output_tokens", "total_tokens", "cost_usd"];
    const keys = numeric.filter((k) => rows.some(([, u]) => u && typeof u === "object" && k in u));
    target.append(
      el(
        "table",
        { class: "table usage" },
        el("thead", {}, el("tr", {}, el("th", { text: "Agent" }), keys.map((k) => el("th", { class: "num", text: k.replace(/_/g, " ") })))),
        el(
          "tbody",
          {},
          rows.map(([agent, u]) =>
            el(
              "tr",
              {},
              el("td", {}, el("code", { text: agent })),
              typeof u === "object" && u !== null
                ? keys.map((k) => el("td", { class: "num", text: u[k] === null || u[k] === undefined ? "—" : k === "cost_usd" ? `$${Number(u[k]).toFixed(4)}` : Number(u[k]).toLocaleString() }))
                : el("td", { class: "num", text: String(u) }),
            ),
          ),
        ),
      ),
    );
  }

  function stat(label, value) {
    return el("div", { class: "stat" }, el("span", { class: "stat-label", text: label }), el("span", { class: "stat-value", text: value }));
  }

  // ---------------------------------------------------------------- actions

  async function deploy() {
    const draft = state.draft;
    if (!draft) return;
    const button = $("deploy");
    button.disabled = true; // a double click must not send two deploys
    button.textContent = "Deploying…";
    setBanner($("action-error"), null);
    const status = clear($("action-status"));
    try {
      const result = await api("POST", `drafts/${encodeURIComponent(draft.id)}/deploy`, {
        approve_code: $("approve-code").checked,
      });
      status.append(
        result.changed ? `Deployed version ${result.version} of ` : `Already live as version ${result.version}: `,
        airflowLink(result.airflow_url && result.airflow_url.startsWith("/") ? result.airflow_url : dagHref(result.dag_id), result.dag_id),
        ".",
      );
      const fresh = await api("GET", `drafts/${encodeURIComponent(draft.id)}`);
      const message = [...status.childNodes];
      renderDraft(fresh);
      $("action-status").append(...message);
      loadPipelines();
    } catch (error) {
      setBanner($("action-error"), error);
      button.disabled = false;
      button.textContent = "Approve & deploy";
    }
  }

  async function testRun() {
    const draft = state.draft;
    if (!draft) return;
    const button = $("test-run");
    button.disabled = true;
    setBanner($("action-error"), null);
    const status = clear($("action-status"));
    status.append("Starting a test run…");
    try {
      const run = await api("POST", `pipelines/${encodeURIComponent(draft.dag_id)}/runs`);
      watchRun(run, Date.now());
    } catch (error) {
      clear(status);
      setBanner($("action-error"), error);
      button.disabled = false;
    }
  }

  function watchRun(run, started) {
    if (state.runTimer) clearTimeout(state.runTimer);
    const status = clear($("action-status"));
    status.append(
      "Test run ",
      airflowLink(`/dags/${encodeURIComponent(run.dag_id)}/runs/${encodeURIComponent(run.run_id)}`, run.run_id),
      ": ",
      Object.assign(pill(run.state), { id: "run-state" }),
      run.schedule_on ? "" : " · runs once; the schedule stays off",
      run.message ? ` · ${run.message}` : "",
    );
    status.dataset.runState = run.state || "";
    if (FINISHED_RUN.has(run.state)) {
      $("test-run").disabled = false;
      loadPipelines();
      return;
    }
    if (Date.now() - started > RUN_POLL_LIMIT_MS) {
      status.append(" (stopped watching: still not finished; follow it in Airflow)");
      $("test-run").disabled = false;
      return;
    }
    state.runTimer = setTimeout(async () => {
      try {
        const fresh = await api("GET", `pipelines/${encodeURIComponent(run.dag_id)}/runs/${encodeURIComponent(run.run_id)}`);
        watchRun(fresh, started);
      } catch (error) {
        setBanner($("action-error"), error);
        $("test-run").disabled = false;
      }
    }, RUN_POLL_MS);
  }

  // ---------------------------------------------------------------- the deployed pipeline's state

  /** Poll the pipelines list for the open draft's DAG: deployed -> parsed -> paused/active -> last run. */
  function watchPipeline(dagId) {
    if (state.pipelineTimer) clearTimeout(state.pipelineTimer);
    state.pipelineTimer = null;
    state.pipeline = null;
    renderPipelineState(null, dagId);
    if (!dagId) return;
    const tick = async () => {
      try {
        const pipelines = (await api("GET", "pipelines")) || [];
        if (!state.draft || state.draft.dag_id !== dagId) return;
        state.pipeline = pipelines.find((p) => p.dag_id === dagId) || null;
        renderPipelineState(state.pipeline, dagId);
        loadLineage(state.pipeline);
      } catch (error) {
        setBanner($("action-error"), error);
      }
      state.pipelineTimer = setTimeout(tick, PIPELINE_POLL_MS);
    };
    tick();
  }

  // The live version's column lineage, under the OpenLineage names a lineage tool shows (loaded
  // once per deployed version).
  async function loadLineage(p) {
    const box = $("lineage");
    const key = p ? `${p.dag_id}@${p.version}` : null;
    if (box.dataset.key === key) return;
    box.dataset.key = key || "";
    show(box, false);
    if (!p) return;
    try {
      renderLineage(await api("GET", `pipelines/${encodeURIComponent(p.dag_id)}/lineage`));
    } catch (error) {
      clear($("lineage-body")).append(errorBanner(error));
      show(box, true);
    }
  }

  function lineageJob(lineage, step) {
    const label = `${lineage.job_namespace}/${step.job}`;
    if (!lineage.lineage_url) return el("code", { text: label });
    const href = lineage.lineage_url
      .replace("{namespace}", encodeURIComponent(lineage.job_namespace))
      .replace("{job}", encodeURIComponent(step.job));
    return el("a", { href, target: "_blank", rel: "noopener" }, el("code", { text: label }));
  }

  function lineageTable(t) {
    return `${t.namespace || t.conn_id}/${t.table}`;
  }

  // A table's column, a file's field (`path: field`) or a message field (`topic: field`).
  function lineageField(s) {
    return s.kind && s.kind !== "table" ? `${s.table}: ${s.column}` : `${s.table}.${s.column}`;
  }

  function renderLineage(lineage) {
    const body = clear($("lineage-body"));
    for (const step of lineage.steps) {
      const rows = step.columns.map((c) =>
        el(
          "tr",
          {},
          el("td", {}, el("code", { text: c.table ? `${c.table}.${c.column}` : c.column })),
          el("td", { text: "←" }),
          el("td", {
            text: c.sources.map((s) => `${lineageField(s)}${s.transformation === "IDENTITY" ? "" : " (computed)"}`).join(", ") || "constant",
          }),
        ),
      );
      body.append(
        el("p", {}, el("strong", { text: step.step_id }), ` (${step.kind}) · job `, lineageJob(lineage, step)),
        el("p", { class: "muted", text: `reads ${step.reads.map(lineageTable).join(", ") || "—"} · writes ${step.writes.map(lineageTable).join(", ") || "—"}` }),
        rows.length ? el("table", {}, ...rows) : el("p", { class: "muted", text: "No column lineage for this step." }),
      );
    }
    show($("lineage"), true);
  }

  function pipelineStateParts(p) {
    if (!p.parsed) return [pill("deployed"), el("span", { class: "muted", text: " · waiting for Airflow to parse the file" })];
    return [
      pill(p.paused ? "paused" : "active"),
      p.schedule ? el("span", { class: "muted", text: ` · schedule ${p.schedule}` }) : null,
      p.paused
        ? el("span", { class: "muted", text: " · the scheduler starts no runs" })
        : el("span", { class: "muted", text: p.next_run_after ? ` · next run ${formatTime(p.next_run_after)}` : "" }),
      el("span", { class: "muted", text: " · last run " }),
      p.state ? pill(p.state) : el("span", { class: "muted", text: "none yet" }),
    ];
  }

  function renderPipelineState(p, dagId) {
    const node = clear($("pipeline-state"));
    const toggle = $("schedule-toggle");
    toggle.disabled = !p || !p.parsed;
    toggle.textContent = p && p.paused === false ? "Turn off schedule" : "Turn on schedule";
    toggle.title = !dagId ? "Deploy the pipeline first" : p && p.parsed ? "" : "Airflow has not parsed the pipeline yet";
    if (!p) return;
    node.append("In Airflow: ", ...pipelineStateParts(p));
  }

  async function toggleSchedule() {
    const p = state.pipeline;
    if (!p) return;
    const button = $("schedule-toggle");
    button.disabled = true;
    setBanner($("action-error"), null);
    try {
      const result = await api("PUT", `pipelines/${encodeURIComponent(p.dag_id)}/schedule`, { on: p.paused !== false });
      $("action-status").textContent = result.on
        ? `Schedule on (${result.schedule || "no schedule"})${result.next_run_after ? `: next run ${formatTime(result.next_run_after)}` : ""}.`
        : "Schedule off: the scheduler starts no runs of this pipeline.";
      watchPipeline(p.dag_id);
      loadPipelines();
    } catch (error) {
      setBanner($("action-error"), error);
      button.disabled = false;
    }
  }

  let rollbackArmed = null;

  async function rollback() {
    const draft = state.draft;
    if (!draft) return;
    const button = $("rollback");
    if (!rollbackArmed) {
      // Two clicks: the first one only asks (no modal dialogs inside the Airflow iframe).
      button.textContent = "Click again to roll back";
      rollbackArmed = setTimeout(() => {
        rollbackArmed = null;
        button.textContent = "Roll back";
      }, 4000);
      return;
    }
    clearTimeout(rollbackArmed);
    rollbackArmed = null;
    button.disabled = true;
    button.textContent = "Rolling back…";
    setBanner($("action-error"), null);
    try {
      const result = await api("POST", `pipelines/${encodeURIComponent(draft.dag_id)}/rollback`);
      const fresh = await api("GET", `drafts/${encodeURIComponent(draft.id)}`);
      renderDraft(fresh);
      $("action-status").textContent = `Rolled back: version ${result.version} of ${result.dag_id} is live again.`;
      loadPipelines();
    } catch (error) {
      setBanner($("action-error"), error);
      button.disabled = false;
    } finally {
      button.textContent = "Roll back";
    }
  }

  async function regenerate() {
    const draft = state.draft;
    const request = state.request;
    const feedback = $("feedback").value.trim();
    const banner = $("action-error");
    if (!draft) return;
    if (!feedback) {
      clear(banner).append(el("strong", { text: "Missing: " }), "say what should change in the feedback box.");
      show(banner, true);
      return;
    }
    const original = request || (await api("GET", `requests/${encodeURIComponent(draft.request_id)}`).catch(() => null));
    if (!original) {
      clear(banner).append("The original request of this draft could not be loaded.");
      show(banner, true);
      return;
    }
    await startGeneration(
      {
        request: original.request,
        conn_ids: original.conn_ids,
        schedule: original.schedule ?? null,
        dag_id: draft.dag_id || null,
        offline: original.offline ?? state.offline,
        feedback,
        parent_draft_id: draft.id,
      },
      $("regenerate-btn"),
      banner,
    );
    $("feedback").value = "";
  }

  // ---------------------------------------------------------------- lists

  /** Fill `target` from GET `path`: an error banner, the empty state, or what `render` makes of the rows. */
  async function loadList(target, path, emptyState, render) {
    let rows;
    try {
      rows = (await api("GET", path)) || [];
    } catch (error) {
      clear(target).append(errorBanner(error));
      return;
    }
    clear(target).append(rows.length ? render(rows) : emptyState);
  }

  function loadPipelines() {
    return loadList(
      $("pipelines"),
      "pipelines",
      empty("No pipelines yet.", "Describe one above, review the draft and approve it: it appears here and in Airflow's DAG list."),
      renderPipelines,
    );
  }

  function renderPipelines(pipelines) {
    return (
      el(
        "table",
        { class: "table pipelines" },
        el("thead", {}, el("tr", {}, ["DAG", "Version", "State", "Schedule", "Next run", "Last run", "Model usage", "Deployed by", "Deployed at", ""].map((h) => el("th", { text: h })))),
        el(
          "tbody",
          {},
          pipelines.map((p) =>
            el(
              "tr",
              { "data-dag-id": p.dag_id },
              el("td", {}, airflowLink(p.airflow_url && p.airflow_url.startsWith("/") ? p.airflow_url : dagHref(p.dag_id), p.dag_id)),
              el("td", { text: `v${p.version}${p.action === "rollback" ? " (rolled back)" : ""}` }),
              el("td", {}, p.parsed ? pill(p.paused ? "paused" : "active") : el("span", { class: "muted", text: "waiting for Airflow to parse it" })),
              el("td", { text: p.schedule || "—" }),
              el("td", { text: p.paused === false && p.next_run_after ? formatTime(p.next_run_after) : "—" }),
              el("td", {}, p.state ? pill(p.state) : el("span", { class: "muted", text: "no runs yet" })),
              el("td", { class: "usage", text: usageText(p.usage) }),
              el("td", { text: p.deployed_by || "—" }),
              el("td", { text: formatTime(p.deployed_at) }),
              el(
                "td",
                { class: "num" },
                p.draft_id === null || p.draft_id === undefined
                  ? null
                  : el("button", { type: "button", class: "btn btn-small", text: "Review", onclick: () => openFromList(p.draft_id) }),
              ),
            ),
          ),
        ),
      )
    );
  }

  // What generating every version of a pipeline took from the models, and what the LLM cache saved.
  function usageText(usage) {
    if (!usage) return "—";
    const cost = usage.cost_usd === null ? "cost unknown" : `$${usage.cost_usd.toFixed(4)}`;
    const saved = usage.cache_hits ? ` · cache: ${usage.cache_hits} call(s), ${usage.saved_tokens} tokens saved` : "";
    return `${usage.calls} call(s), ${usage.tokens} tokens, ${cost}${saved}`;
  }

  async function openFromList(draftId) {
    stopPolling();
    state.request = null;
    show($("progress-card"), false);
    await openDraft(draftId);
    $("draft-card").scrollIntoView({ behavior: "smooth", block: "start" });
  }

  function loadRequests() {
    return loadList(
      $("requests"),
      "requests",
      empty("No requests yet.", "Your requests and their drafts will be listed here."),
      renderRequests,
    );
  }

  function renderRequests(requests) {
    return (
      el(
        "ul",
        { class: "request-list" },
        requests.slice(0, 20).map((r) =>
          el(
            "li",
            {},
            pill(r.state),
            el("span", { class: "request-text", text: r.request }),
            el("span", { class: "muted", text: `${r.created_by || ""} · ${formatTime(r.created_at)}` }),
            el("button", { type: "button", class: "btn btn-small", text: "Open", onclick: () => watchRequest(r) }),
          ),
        ),
      )
    );
  }

  // ---------------------------------------------------------------- colour mode

  /** The first opaque background behind the page's iframe in Airflow's document, if it can be read. */
  function airflowBackground() {
    let node;
    try {
      node = window.frameElement;
    } catch {
      return null; // another origin
    }
    for (; node; node = node.parentElement) {
      const colour = window.parent.getComputedStyle(node).backgroundColor;
      if (colour && colour !== "transparent" && !/rgba\(.*,\s*0\)$/.test(colour)) return colour;
    }
    return null;
  }

  /** Follow Airflow's own light/dark toggle (a class on the parent's <html>), else the OS setting. */
  function followColourMode() {
    const root = document.documentElement;
    const media = window.matchMedia("(prefers-color-scheme: dark)");
    let parentRoot = null;
    try {
      if (window.parent !== window) parentRoot = window.parent.document.documentElement;
    } catch {
      parentRoot = null; // another origin: only the OS setting is known
    }
    const apply = () => {
      const cls = parentRoot ? parentRoot.classList : null;
      const airflow = cls && cls.contains("dark") ? "dark" : cls && cls.contains("light") ? "light" : null;
      root.dataset.theme = airflow || (media.matches ? "dark" : "light");
      // The page's background is the one Airflow paints around the frame: no seam shows as a border.
      const around = airflowBackground();
      if (around) root.style.setProperty("--bg", around);
      else root.style.removeProperty("--bg");
    };
    apply();
    media.addEventListener("change", apply);
    if (parentRoot) new MutationObserver(apply).observe(parentRoot, { attributes: true, attributeFilter: ["class"] });
  }

  // ---------------------------------------------------------------- start

  /**
   * Airflow mirrors the iframe's path into its own address (`/plugin/ai-etl` + `/ai-etl/`, so
   * `/plugin/ai-etl/ai-etl/`) when the page has loaded. The page is one screen at one address, so
   * it shows its path as `/`: Airflow's address stays `/plugin/ai-etl/`, and a reload of that
   * address loads the page again. Everything the page fetches or links to is absolute from here on.
   */
  function cleanAddress() {
    $("api-docs").href = new URL("docs", API).href;
    if (window.parent !== window) history.replaceState(null, "", "/");
  }

  function start() {
    cleanAddress();
    followColourMode();
    $("request-form").addEventListener("submit", submitRequest);
    $("generate-image").addEventListener("click", submitDiagram);
    $("deploy").addEventListener("click", deploy);
    $("approve-code").addEventListener("change", () => {
      const draft = state.draft;
      const ok = draft && draft.state === "ready" && draft.report && draft.report.ok;
      const live = Boolean(draft && draft.deployed && draft.deployed.draft_id === draft.id && !draft.diff);
      $("deploy").disabled = !ok || live || !$("approve-code").checked;
    });
    $("test-run").addEventListener("click", testRun);
    $("rollback").addEventListener("click", rollback);
    $("regenerate-btn").addEventListener("click", regenerate);
    $("spec-validate").addEventListener("click", revalidateSpec);
    $("spec-reset").addEventListener("click", () => {
      specEditor().setDoc(state.specOriginal);
      showSpecFindings([]);
      updateSpecDirty();
      clear($("spec-result"));
    });
    $("schedule-toggle").addEventListener("click", toggleSchedule);
    $("pipelines-refresh").addEventListener("click", loadPipelines);
    const tabs = [...document.querySelectorAll("#tabs [role=tab]")];
    tabs.forEach((tab, i) => {
      tab.addEventListener("click", () => selectTab(tab.dataset.tab));
      tab.addEventListener("keydown", (event) => {
        const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
        if (!step) return;
        const next = tabs[(i + step + tabs.length) % tabs.length];
        selectTab(next.dataset.tab);
        next.focus();
      });
    });
    selectTab(state.tab);
    loadAccess();
    watchSimilar();
    loadConnections();
    loadDoctor();
    loadPipelines();
    loadRequests();
  }

  /** "Similar approved pipelines" under the request box: pipeline memory, asked once typing pauses. */
  function watchSimilar() {
    let timer = null;
    $("request-text").addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const text = $("request-text").value.trim();
        let found = [];
        if (text.length >= 3) {
          try {
            found = await api("GET", `memory/similar?k=3&request=${encodeURIComponent(text)}`);
          } catch {
            found = [];  // a hint, never an error on the page
          }
        }
        clear($("similar-list")).append(
          ...found.map((p) =>
            el("li", {}, el("strong", { text: p.dag_id }), ` (${p.score.toFixed(2)}, approved by ${p.approver}): `, p.request)
          )
        );
        show($("similar"), found.length > 0);
      }, 400);
    });
  }

  window.addEventListener("error", (event) => {
    const banner = $("global-error");
    clear(banner).append(el("strong", { text: "The page hit an error: " }), String(event.message || event.error));
    show(banner, true);
  });
  window.addEventListener("unhandledrejection", (event) => {
    const banner = $("global-error");
    clear(banner).append(...describeError(event.reason));
    show(banner, true);
  });

  start();
})();
