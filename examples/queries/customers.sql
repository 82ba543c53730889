-- Login lookup: customers has no index on email.
SELECT id, region FROM customers WHERE email = $1;
