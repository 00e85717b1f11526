-- The differential corpus's schemas: one PostgreSQL schema each, created empty by the harness.
-- Mixed-case quoted names (library, iot) are on purpose: identifier folding is under test.

CREATE SCHEMA shop;
CREATE TABLE shop.customers (
    id integer PRIMARY KEY,
    name varchar(100) NOT NULL,
    email text,
    country char(2),
    signup_date date,
    is_vip boolean DEFAULT false,
    credit_limit numeric(12,2)
);
CREATE TABLE shop.products (
    id integer PRIMARY KEY,
    sku text UNIQUE,
    title text,
    category text,
    price numeric(10,2),
    weight_kg real,
    tags text[],
    created_at timestamp
);
CREATE TABLE shop.orders (
    id bigint PRIMARY KEY,
    customer_id integer REFERENCES shop.customers(id),
    status text,
    ordered_at timestamp with time zone,
    shipped_on date,
    total numeric(12,2),
    discount double precision,
    notes jsonb
);
CREATE TABLE shop.order_items (
    order_id bigint REFERENCES shop.orders(id),
    product_id integer REFERENCES shop.products(id),
    quantity smallint,
    unit_price numeric(10,2),
    PRIMARY KEY (order_id, product_id)
);
CREATE TABLE shop.payments (
    id uuid PRIMARY KEY,
    order_id bigint REFERENCES shop.orders(id),
    amount numeric(12,2),
    method text,
    paid_at timestamp,
    succeeded boolean
);

CREATE SCHEMA hr;
CREATE TABLE hr.departments (
    dept_id integer PRIMARY KEY,
    dept_name text NOT NULL,
    budget numeric(14,2),
    location text
);
CREATE TABLE hr.employees (
    emp_id integer PRIMARY KEY,
    first_name text,
    last_name text,
    dept_id integer REFERENCES hr.departments(dept_id),
    manager_id integer REFERENCES hr.employees(emp_id),
    hire_date date,
    salary numeric(10,2),
    bonus_pct real,
    active boolean,
    birth_year smallint
);
CREATE TABLE hr.projects (
    project_id integer PRIMARY KEY,
    title text,
    dept_id integer REFERENCES hr.departments(dept_id),
    starts_on date,
    ends_on date,
    cost bigint
);
CREATE TABLE hr.assignments (
    emp_id integer REFERENCES hr.employees(emp_id),
    project_id integer REFERENCES hr.projects(project_id),
    hours integer,
    role varchar(40),
    PRIMARY KEY (emp_id, project_id)
);
CREATE TABLE hr.reviews (
    review_id serial PRIMARY KEY,
    emp_id integer REFERENCES hr.employees(emp_id),
    reviewed_at timestamp,
    score integer,
    comments text
);

CREATE SCHEMA flights;
CREATE TABLE flights.airports (
    code char(3) PRIMARY KEY,
    name text,
    city text,
    country text,
    latitude double precision,
    longitude double precision,
    timezone text
);
CREATE TABLE flights.airlines (
    airline_id integer PRIMARY KEY,
    name text,
    iata char(2),
    founded smallint
);
CREATE TABLE flights.flights (
    flight_id bigint PRIMARY KEY,
    airline_id integer REFERENCES flights.airlines(airline_id),
    flight_no varchar(8),
    origin char(3) REFERENCES flights.airports(code),
    destination char(3) REFERENCES flights.airports(code),
    departs_at timestamptz,
    arrives_at timestamptz,
    duration interval,
    cancelled boolean,
    seats integer
);
CREATE TABLE flights.passengers (
    passenger_id integer PRIMARY KEY,
    full_name text,
    passport text,
    nationality text,
    born_on date
);
CREATE TABLE flights.bookings (
    booking_ref char(6) PRIMARY KEY,
    flight_id bigint REFERENCES flights.flights(flight_id),
    passenger_id integer REFERENCES flights.passengers(passenger_id),
    fare numeric(8,2),
    cabin text,
    booked_at timestamp,
    checked_in boolean
);

CREATE SCHEMA library;
CREATE TABLE library.authors (
    "authorId" integer PRIMARY KEY,
    "fullName" text,
    born integer,
    country text
);
CREATE TABLE library.books (
    book_id integer PRIMARY KEY,
    "authorId" integer REFERENCES library.authors("authorId"),
    title text,
    "isbnCode" varchar(13),
    "publishedYear" integer,
    pages integer,
    genre text,
    price numeric(6,2)
);
CREATE TABLE library.members (
    member_id integer PRIMARY KEY,
    name text,
    joined date,
    email text,
    "isActive" boolean
);
CREATE TABLE library.loans (
    loan_id integer PRIMARY KEY,
    book_id integer REFERENCES library.books(book_id),
    member_id integer REFERENCES library.members(member_id),
    loaned_at timestamp,
    due_on date,
    returned_at timestamp,
    fine numeric(6,2)
);

CREATE SCHEMA iot;
CREATE TABLE iot.sites (
    site_id integer PRIMARY KEY,
    site_name text,
    region text,
    opened date
);
CREATE TABLE iot.devices (
    device_id text PRIMARY KEY,
    site_id integer REFERENCES iot.sites(site_id),
    "deviceType" text,
    firmware varchar(20),
    installed_at timestamptz,
    online boolean
);
CREATE TABLE iot.readings (
    reading_id bigint PRIMARY KEY,
    device_id text REFERENCES iot.devices(device_id),
    recorded_at timestamptz,
    temperature double precision,
    humidity real,
    battery smallint,
    payload jsonb
);
CREATE TABLE iot."Alerts" (
    alert_id integer PRIMARY KEY,
    device_id text REFERENCES iot.devices(device_id),
    raised_at timestamptz,
    severity integer,
    message text,
    acknowledged boolean
);
