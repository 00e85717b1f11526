-- The demo shop on PostgreSQL: customers, orders, order items, the same every time (no random()).
-- docker-compose.yaml runs it when the `shop` database is created; the e2e tests run it too.
CREATE TABLE customers (
    customer_id integer PRIMARY KEY,
    name        text NOT NULL,
    country     text NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE TABLE orders (
    order_id    integer PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES customers (customer_id),
    status      text NOT NULL,
    amount      numeric(10, 2) NOT NULL,
    ordered_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE TABLE order_items (
    order_id    integer NOT NULL REFERENCES orders (order_id),
    line_no     integer NOT NULL,
    sku         text NOT NULL,
    quantity    integer NOT NULL,
    unit_price  numeric(10, 2) NOT NULL,
    PRIMARY KEY (order_id, line_no)
);

INSERT INTO customers
SELECT n,
       (ARRAY['Ada', 'Grace', 'Linus', 'Barbara', 'Edsger', 'Margaret'])[1 + n % 6] || ' ' ||
       (ARRAY['Lovelace', 'Hopper', 'Torvalds', 'Liskov', 'Dijkstra'])[1 + n % 5],
       (ARRAY['DE', 'FR', 'NL', 'PL', 'SE', 'ES', 'IT'])[1 + n % 7],
       timestamptz '2026-01-01 08:00+00' + n * interval '1 hour',
       timestamptz '2026-01-01 08:00+00' + n * interval '1 hour'
FROM generate_series(1, 60) AS n;

INSERT INTO orders
SELECT n,
       1 + (n * 7) % 60,
       (ARRAY['placed', 'paid', 'shipped', 'delivered', 'returned'])[1 + n % 5],
       round((5 + (n * 37) % 400 + (n % 100) / 100.0)::numeric, 2),
       timestamptz '2026-01-03 08:00+00' + n * interval '17 minutes',
       timestamptz '2026-01-03 08:00+00' + n * interval '17 minutes' + (n % 3) * interval '1 day'
FROM generate_series(1, 300) AS n;

INSERT INTO order_items
SELECT o, l, 'SKU-' || lpad(((o * 13 + l * 7) % 50)::text, 3, '0'), 1 + (o + l) % 4,
       round((2 + (o * 11 + l * 5) % 90 + 0.99)::numeric, 2)
FROM generate_series(1, 300) AS o, LATERAL generate_series(1, 1 + o % 3) AS l;
