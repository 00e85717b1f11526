-- Hand-written queries of the differential corpus, one per line, under `-- schema: NAME`.
-- Mostly what an analyst or a model would write; some carry the mistakes models make. Whether
-- each is valid is never written here: the harness asks PostgreSQL (EXPLAIN).

-- schema: shop
SELECT id, name, email FROM customers WHERE country = 'DE' ORDER BY name
SELECT c.name, count(o.id) AS orders FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.name ORDER BY orders DESC
SELECT c.id, c.name, sum(o.total) AS revenue FROM customers c JOIN orders o ON o.customer_id = c.id WHERE o.status = 'paid' GROUP BY c.id HAVING sum(o.total) > 1000
SELECT date_trunc('month', ordered_at) AS month, sum(total) AS revenue, avg(total) AS avg_order FROM orders GROUP BY 1 ORDER BY 1
SELECT p.category, round(avg(p.price), 2) AS avg_price, max(p.price) FROM products p GROUP BY p.category
SELECT o.id, o.total, o.total * (1 - coalesce(o.discount, 0)) AS net FROM orders o WHERE o.ordered_at >= now() - interval '30 days'
SELECT oi.order_id, sum(oi.quantity * oi.unit_price) AS amount FROM order_items oi GROUP BY oi.order_id
SELECT p.title, sum(oi.quantity) AS units FROM products p JOIN order_items oi ON oi.product_id = p.id GROUP BY p.title ORDER BY units DESC LIMIT 10
SELECT extract(year FROM signup_date) AS year, count(*) FROM customers GROUP BY extract(year FROM signup_date)
SELECT id, name, CASE WHEN credit_limit > 5000 THEN 'high' WHEN credit_limit > 1000 THEN 'mid' ELSE 'low' END AS tier FROM customers
SELECT customer_id, count(*) FILTER (WHERE status = 'cancelled') AS cancelled, count(*) AS all_orders FROM orders GROUP BY customer_id
SELECT id, total, rank() OVER (PARTITION BY customer_id ORDER BY total DESC) AS rnk FROM orders
SELECT customer_id, ordered_at, sum(total) OVER (PARTITION BY customer_id ORDER BY ordered_at) AS running FROM orders
WITH recent AS (SELECT * FROM orders WHERE ordered_at > current_date - 7) SELECT status, count(*) FROM recent GROUP BY status
SELECT name FROM customers WHERE id IN (SELECT customer_id FROM orders WHERE total > 500)
SELECT c.name FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.status = 'open')
SELECT lower(email) AS email, length(name) AS name_len, upper(country) FROM customers WHERE email LIKE '%@example.com'
SELECT method, sum(amount) FROM payments WHERE succeeded GROUP BY method
SELECT p.id, p.title FROM products p WHERE 'sale' = ANY(p.tags)
SELECT to_char(ordered_at, 'YYYY-MM') AS ym, count(DISTINCT customer_id) FROM orders GROUP BY ym
SELECT id, notes->>'channel' AS channel FROM orders WHERE notes ? 'channel'
SELECT customer_id, max(ordered_at) - min(ordered_at) AS span FROM orders GROUP BY customer_id
SELECT o.id, p.amount FROM orders o JOIN payments p ON p.order_id = o.id WHERE p.paid_at::date = o.shipped_on
SELECT shipped_on - ordered_at::date AS days_to_ship FROM orders WHERE shipped_on IS NOT NULL
SELECT category, string_agg(title, ', ' ORDER BY title) FROM products GROUP BY category
SELECT id, coalesce(weight_kg, 0) * 2.2 AS weight_lb FROM products
SELECT status, percentile_cont(0.5) WITHIN GROUP (ORDER BY total) AS median_total FROM orders GROUP BY status
SELECT c.country, count(*) AS n FROM customers c GROUP BY c.country HAVING count(*) > 10 ORDER BY n DESC
SELECT id FROM orders UNION SELECT order_id FROM payments
SELECT name, signup_date FROM customers WHERE signup_date BETWEEN '2024-01-01' AND '2024-12-31'
SELECT substring(sku, 1, 3) AS prefix, count(*) FROM products GROUP BY prefix
SELECT id, price::text || ' EUR' AS label FROM products
SELECT o.id, c.name FROM orders o, customers c WHERE o.customer_id = c.id AND c.is_vip
SELECT YEAR(ordered_at) AS y, sum(total) FROM orders GROUP BY YEAR(ordered_at)
SELECT name, IFNULL(email, 'none') FROM customers
SELECT id, DATEDIFF(day, ordered_at, shipped_on) FROM orders
SELECT strftime('%Y-%m', ordered_at) AS ym, count(*) FROM orders GROUP BY ym
SELECT sum(is_vip) FROM customers
SELECT avg(email) FROM customers
SELECT id FROM orders WHERE status = 1
SELECT id FROM orders WHERE ordered_at LIKE '2024%'
SELECT round(discount, 2) FROM orders
SELECT customer_id, total FROM orders GROUP BY customer_id
SELECT id FROM orders WHERE sum(total) > 100
SELECT "Name" FROM customers
SELECT c.name FROM customers c JOIN orders c ON c.id = c.customer_id
SELECT id, name FROM customers UNION SELECT id FROM products
SELECT id FROM orders WHERE total AND discount
SELECT max(count(*)) FROM orders GROUP BY customer_id
SELECT id FROM orders WHERE rank() OVER (ORDER BY total) < 3
SELECT title || price FROM products
SELECT name - email FROM customers
SELECT CAST(signup_date AS integer) FROM customers
SELECT id FROM customers WHERE credit_limit > 'abc'

-- schema: hr
SELECT e.first_name, e.last_name, d.dept_name FROM employees e JOIN departments d ON d.dept_id = e.dept_id
SELECT d.dept_name, avg(e.salary) AS avg_salary, count(*) FROM departments d JOIN employees e USING (dept_id) GROUP BY d.dept_name
SELECT e.emp_id, e.first_name, m.first_name AS manager FROM employees e LEFT JOIN employees m ON m.emp_id = e.manager_id
SELECT dept_id, max(salary) - min(salary) AS spread FROM employees GROUP BY dept_id HAVING count(*) > 3
SELECT first_name || ' ' || last_name AS full_name, age(hire_date) AS tenure FROM employees WHERE active
SELECT emp_id, salary, salary * (1 + bonus_pct / 100) AS total_comp FROM employees
SELECT emp_id, dense_rank() OVER (PARTITION BY dept_id ORDER BY salary DESC) AS pos FROM employees
SELECT p.title, sum(a.hours) AS hours FROM projects p JOIN assignments a ON a.project_id = p.project_id GROUP BY p.project_id
SELECT d.dept_name, p.title FROM departments d JOIN projects p ON p.dept_id = d.dept_id WHERE p.ends_on < current_date
SELECT date_part('year', hire_date) AS yr, count(*) FROM employees GROUP BY yr ORDER BY yr
SELECT emp_id FROM employees WHERE hire_date > current_date - interval '1 year'
SELECT e.emp_id, avg(r.score) FROM employees e JOIN reviews r ON r.emp_id = e.emp_id GROUP BY e.emp_id HAVING avg(r.score) >= 4
WITH team AS (SELECT manager_id, count(*) AS size FROM employees GROUP BY manager_id) SELECT e.first_name, t.size FROM team t JOIN employees e ON e.emp_id = t.manager_id
SELECT dept_id, count(*) FILTER (WHERE active) AS active_count FROM employees GROUP BY dept_id
SELECT emp_id, lag(salary) OVER (ORDER BY hire_date) AS prev_salary FROM employees
SELECT title, ends_on - starts_on AS days FROM projects
SELECT title, cost / nullif(extract(day FROM ends_on::timestamp - starts_on::timestamp), 0) AS daily FROM projects
SELECT location, sum(budget) FROM departments GROUP BY location ORDER BY 2 DESC
SELECT e.last_name FROM employees e WHERE e.salary > (SELECT avg(salary) FROM employees WHERE dept_id = e.dept_id)
SELECT role, count(DISTINCT emp_id) FROM assignments GROUP BY role
SELECT emp_id, greatest(salary, 50000) AS floor_salary FROM employees
SELECT emp_id, 2024 - birth_year AS age FROM employees
SELECT comments FROM reviews WHERE comments ILIKE '%great%' AND reviewed_at >= '2024-01-01'
SELECT e.emp_id, coalesce(sum(a.hours), 0) AS hours FROM employees e LEFT JOIN assignments a ON a.emp_id = e.emp_id GROUP BY e.emp_id
SELECT dept_id, array_agg(emp_id ORDER BY emp_id) FROM employees GROUP BY dept_id
SELECT MONTH(hire_date), count(*) FROM employees GROUP BY MONTH(hire_date)
SELECT emp_id, ISNULL(bonus_pct, 0) FROM employees
SELECT emp_id, NVL(manager_id, 0) FROM employees
SELECT DATEADD(month, 1, hire_date) FROM employees
SELECT sum(first_name) FROM employees
SELECT emp_id FROM employees WHERE hire_date = 2020
SELECT first_name, dept_id, count(*) FROM employees GROUP BY dept_id
SELECT d.dept_name, e.first_name FROM departments d JOIN employees e ON e.dept_id = d.dept_id GROUP BY d.dept_id
SELECT dept_id FROM employees WHERE avg(salary) > 1000 GROUP BY dept_id
SELECT e.emp_id FROM employees e JOIN departments e ON e.dept_id = e.dept_id
SELECT emp_id FROM employees WHERE active = 'yes'
SELECT round(bonus_pct, 1) FROM employees
SELECT emp_id FROM employees WHERE manager_id AND active
SELECT extract(year FROM last_name) FROM employees
SELECT sum(avg(salary)) FROM employees GROUP BY dept_id
SELECT emp_id, salary FROM employees ORDER BY salary LIMIT 5 HAVING count(*) > 1
SELECT emp_id, first_name FROM employees UNION SELECT dept_id FROM departments

-- schema: flights
SELECT f.flight_no, a.name AS airline, f.departs_at FROM flights f JOIN airlines a ON a.airline_id = f.airline_id WHERE NOT f.cancelled
SELECT origin, destination, count(*) AS n FROM flights GROUP BY origin, destination ORDER BY n DESC LIMIT 20
SELECT f.flight_id, f.arrives_at - f.departs_at AS block_time FROM flights f WHERE f.arrives_at - f.departs_at > interval '10 hours'
SELECT o.city AS from_city, d.city AS to_city FROM flights f JOIN airports o ON o.code = f.origin JOIN airports d ON d.code = f.destination
SELECT cabin, avg(fare), count(*) FROM bookings GROUP BY cabin
SELECT b.booking_ref, p.full_name FROM bookings b JOIN passengers p ON p.passenger_id = b.passenger_id WHERE NOT b.checked_in
SELECT f.flight_id, f.seats - count(b.booking_ref) AS free_seats FROM flights f LEFT JOIN bookings b ON b.flight_id = f.flight_id GROUP BY f.flight_id
SELECT airline_id, sum(CASE WHEN cancelled THEN 1 ELSE 0 END)::numeric / count(*) AS cancel_rate FROM flights GROUP BY airline_id
SELECT date_trunc('day', departs_at) AS day, count(*) FROM flights GROUP BY 1
SELECT code, name FROM airports WHERE country = 'Germany' AND latitude > 50
SELECT nationality, count(*) FROM passengers GROUP BY nationality HAVING count(*) >= 2
SELECT passenger_id, extract(year FROM age(born_on)) AS age FROM passengers
SELECT f.flight_no, row_number() OVER (PARTITION BY f.airline_id ORDER BY f.departs_at) FROM flights f
SELECT full_name FROM passengers WHERE passenger_id NOT IN (SELECT passenger_id FROM bookings)
SELECT b.cabin, sum(b.fare) AS revenue FROM bookings b JOIN flights f ON f.flight_id = b.flight_id WHERE f.departs_at >= '2025-01-01' GROUP BY b.cabin
SELECT name, founded FROM airlines WHERE founded < 1950 ORDER BY founded
SELECT origin FROM flights UNION ALL SELECT destination FROM flights
SELECT extract(epoch FROM duration) / 60 AS minutes FROM flights
SELECT airline_id, avg(extract(epoch FROM arrives_at - departs_at)) AS avg_seconds FROM flights GROUP BY airline_id
WITH busy AS (SELECT origin, count(*) AS c FROM flights GROUP BY origin) SELECT a.name, b.c FROM busy b JOIN airports a ON a.code = b.origin ORDER BY b.c DESC
SELECT booking_ref, fare, fare - avg(fare) OVER (PARTITION BY cabin) AS diff FROM bookings
SELECT passport, upper(full_name) FROM passengers WHERE passport IS NOT NULL
SELECT split_part(full_name, ' ', 1) AS first FROM passengers
SELECT timezone, count(*) FROM airports GROUP BY timezone
SELECT flight_no, to_char(departs_at, 'HH24:MI') FROM flights
SELECT sqrt(power(latitude, 2) + power(longitude, 2)) AS dist FROM airports
SELECT HOUR(departs_at), count(*) FROM flights GROUP BY HOUR(departs_at)
SELECT flight_no, DATE_FORMAT(departs_at, '%Y-%m-%d') FROM flights
SELECT TIMESTAMPDIFF(MINUTE, departs_at, arrives_at) FROM flights
SELECT avg(cabin) FROM bookings
SELECT flight_id FROM flights WHERE seats = 'many'
SELECT flight_id FROM flights WHERE departs_at LIKE '2025-%'
SELECT origin, flight_no, count(*) FROM flights GROUP BY origin
SELECT flight_id FROM flights WHERE count(*) > 1
SELECT f.flight_id FROM flights f JOIN bookings f ON f.flight_id = f.flight_id
SELECT flight_id FROM flights WHERE seats AND cancelled
SELECT round(latitude, 2) FROM airports
SELECT flight_no + 1 FROM flights
SELECT code, name FROM airports UNION SELECT code FROM airports
SELECT b.fare FROM bookings b JOIN flights f ON f.flight_id = p.passenger_id JOIN passengers p ON p.passenger_id = b.passenger_id
SELECT flight_id FROM flights WHERE row_number() OVER (ORDER BY departs_at) = 1

-- schema: library
SELECT b.title, a."fullName" FROM books b JOIN authors a ON a."authorId" = b."authorId"
SELECT "publishedYear", count(*) FROM books GROUP BY "publishedYear" ORDER BY 1
SELECT genre, avg(pages)::int AS avg_pages FROM books GROUP BY genre
SELECT m.name, count(l.loan_id) FROM members m LEFT JOIN loans l ON l.member_id = m.member_id GROUP BY m.member_id
SELECT l.loan_id, current_date - l.due_on AS days_late FROM loans l WHERE l.returned_at IS NULL AND l.due_on < current_date
SELECT sum(fine) FROM loans WHERE returned_at > due_on
SELECT a.country, count(DISTINCT b.book_id) FROM authors a JOIN books b ON b."authorId" = a."authorId" GROUP BY a.country
SELECT title FROM books WHERE "isbnCode" LIKE '978%'
SELECT name, email FROM members WHERE "isActive" AND joined < '2020-01-01'
SELECT b.genre, b.title, b.pages, max(b.pages) OVER (PARTITION BY b.genre) FROM books b
SELECT title, price FROM books ORDER BY price DESC NULLS LAST LIMIT 5
WITH overdue AS (SELECT member_id, count(*) AS n FROM loans WHERE returned_at IS NULL GROUP BY member_id) SELECT m.name, o.n FROM overdue o JOIN members m USING (member_id)
SELECT date_trunc('week', loaned_at), count(*) FROM loans GROUP BY 1
SELECT "fullName", born FROM authors WHERE born BETWEEN 1800 AND 1900
SELECT book_id, title FROM books WHERE "authorId" IN (SELECT "authorId" FROM authors WHERE country = 'UK')
SELECT genre, round(avg(price), 2) FROM books GROUP BY genre HAVING avg(price) > 10
SELECT m.member_id, max(l.loaned_at) AS last_loan FROM members m JOIN loans l ON l.member_id = m.member_id GROUP BY m.member_id
SELECT title, length(title), initcap(title) FROM books
SELECT returned_at - loaned_at AS kept FROM loans WHERE returned_at IS NOT NULL
SELECT count(*) FILTER (WHERE returned_at IS NULL) AS open_loans FROM loans
SELECT genre, string_agg(DISTINCT title, '; ') FROM books GROUP BY genre
SELECT b.title FROM books b WHERE NOT EXISTS (SELECT 1 FROM loans l WHERE l.book_id = b.book_id)
SELECT "publishedYear" / 10 * 10 AS decade, count(*) FROM books GROUP BY decade
SELECT name, coalesce(email, 'n/a') FROM members
SELECT authorid FROM authors
SELECT "fullname" FROM authors
SELECT b."Title" FROM books b
SELECT publishedYear FROM books
SELECT "isActive", count(*) FROM members GROUP BY "isActive"
SELECT "authorId", title FROM books GROUP BY "authorId"
SELECT IF(pages > 300, 'long', 'short') FROM books
SELECT LEN(title) FROM books
SELECT sum("isActive") FROM members
SELECT pages FROM books WHERE genre = 3
SELECT avg(title) FROM books
SELECT title FROM books WHERE pages AND price
SELECT round(price::float, 1) FROM books
SELECT a."fullName" FROM authors a JOIN books a ON a."authorId" = a."authorId"
SELECT title FROM books WHERE max(price) > 10
SELECT "fullName" FROM authors UNION SELECT title, genre FROM books

-- schema: iot
SELECT d.device_id, s.site_name FROM devices d JOIN sites s ON s.site_id = d.site_id WHERE d.online
SELECT device_id, avg(temperature) AS avg_temp, max(humidity) FROM readings GROUP BY device_id
SELECT device_id, recorded_at, temperature - lag(temperature) OVER (PARTITION BY device_id ORDER BY recorded_at) AS delta FROM readings
SELECT date_trunc('hour', recorded_at) AS h, avg(temperature) FROM readings WHERE recorded_at > now() - interval '1 day' GROUP BY h
SELECT "deviceType", count(*) FROM devices GROUP BY "deviceType"
SELECT s.region, count(DISTINCT d.device_id) FROM sites s JOIN devices d ON d.site_id = s.site_id GROUP BY s.region
SELECT a.alert_id, a.message, d."deviceType" FROM "Alerts" a JOIN devices d ON d.device_id = a.device_id WHERE NOT a.acknowledged
SELECT severity, count(*) FROM "Alerts" GROUP BY severity ORDER BY severity DESC
SELECT device_id, payload->'sensor'->>'model' AS model FROM readings WHERE payload IS NOT NULL
SELECT device_id, min(battery) FROM readings GROUP BY device_id HAVING min(battery) < 20
SELECT site_name, opened, current_date - opened AS age_days FROM sites
SELECT device_id FROM devices WHERE firmware < '2.0' AND installed_at < '2024-06-01'
SELECT r.device_id, r.temperature FROM readings r WHERE r.temperature > (SELECT avg(temperature) + 2 * stddev(temperature) FROM readings)
SELECT device_id, percentile_disc(0.9) WITHIN GROUP (ORDER BY temperature) FROM readings GROUP BY device_id
SELECT extract(dow FROM recorded_at) AS dow, avg(humidity) FROM readings GROUP BY 1
SELECT d.device_id, count(a.alert_id) FROM devices d LEFT JOIN "Alerts" a ON a.device_id = d.device_id GROUP BY d.device_id
WITH latest AS (SELECT device_id, max(recorded_at) AS at FROM readings GROUP BY device_id) SELECT d.device_id, l.at FROM devices d JOIN latest l USING (device_id)
SELECT device_id, round(avg(temperature)::numeric, 1) FROM readings GROUP BY device_id
SELECT region, sum(CASE WHEN online THEN 1 ELSE 0 END) FROM sites JOIN devices USING (site_id) GROUP BY region
SELECT reading_id FROM readings WHERE temperature IS NULL OR humidity IS NULL
SELECT abs(temperature - 20) AS deviation FROM readings
SELECT device_id, bool_and(online) FROM devices GROUP BY device_id
SELECT message FROM "Alerts" WHERE message ~ 'overheat'
SELECT device_id, count(*) AS n FROM readings GROUP BY device_id ORDER BY n DESC LIMIT 3
SELECT devicetype FROM devices
SELECT "DeviceType" FROM devices
SELECT alert_id FROM alerts
SELECT alert_id FROM "alerts"
SELECT device_id, temperature FROM readings GROUP BY device_id
SELECT DAY(recorded_at), avg(temperature) FROM readings GROUP BY DAY(recorded_at)
SELECT device_id, toStartOfHour(recorded_at) FROM readings
SELECT sum(online) FROM devices
SELECT avg(device_id) FROM readings
SELECT reading_id FROM readings WHERE recorded_at LIKE '2025%'
SELECT reading_id FROM readings WHERE battery AND temperature
SELECT round(temperature, 1) FROM readings
SELECT device_id FROM readings WHERE avg(temperature) > 30
SELECT count(sum(battery)) FROM readings GROUP BY device_id
SELECT device_id FROM devices UNION SELECT device_id, site_id FROM devices
SELECT reading_id FROM readings WHERE battery = 'low'
