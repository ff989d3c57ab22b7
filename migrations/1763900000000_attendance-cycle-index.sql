-- Up Migration
-- Two cycles of one connection can start at the same instant (a webhook cycle and a report row that ends
-- differently): key cycles by their position in the person's list, which every calculation rewrites anyway.
ALTER TABLE attendance DROP CONSTRAINT attendance_pkey;
ALTER TABLE attendance ADD COLUMN cycle_index integer;
UPDATE attendance a SET cycle_index = n.i
FROM (SELECT ctid, row_number() OVER (PARTITION BY session_id, person_key ORDER BY joined_at, connection) - 1 AS i FROM attendance) n
WHERE a.ctid = n.ctid;
ALTER TABLE attendance ALTER COLUMN cycle_index SET NOT NULL;
ALTER TABLE attendance ADD PRIMARY KEY (session_id, person_key, cycle_index);

-- Down Migration
ALTER TABLE attendance DROP CONSTRAINT attendance_pkey;
ALTER TABLE attendance DROP COLUMN cycle_index;
ALTER TABLE attendance ADD PRIMARY KEY (session_id, person_key, connection, joined_at);
