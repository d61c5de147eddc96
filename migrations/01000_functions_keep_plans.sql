-- +goose Up
-- price_in_force and queue_mail run for every line of an order and for
-- every mail. As SQL functions that PostgreSQL cannot inline (a query with
-- FROM, an INSERT) their bodies were parsed and planned again in every
-- statement that called them; in PL/pgSQL a connection plans each body
-- once and keeps the plan. What they return is unchanged.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION price_in_force(item bigint, supplier bigint, day date) RETURNS numeric
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE AS $$
BEGIN
    RETURN (SELECT p.price
            FROM tender_items i
            JOIN awards a ON a.tender_id = i.tender_id AND a.supplier_id = price_in_force.supplier
            JOIN award_prices p ON p.award_id = a.id AND p.item_id = i.id
            WHERE i.id = price_in_force.item AND p.valid_from <= price_in_force.day
            ORDER BY p.valid_from DESC, p.id DESC
            LIMIT 1);
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION queue_mail(order_id bigint, kind text, recipient text, lang text, subject text, body text, mail_domain text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    queued bigint := nextval(pg_get_serial_sequence('mail_outbox', 'id'));
BEGIN
    INSERT INTO mail_outbox (id, order_id, kind, recipient, lang, subject, body, message_id) OVERRIDING SYSTEM VALUE
    VALUES (queued, $1, $2, $3, $4, $5, $6, outbox_message_id(queued, now(), $7));
    RETURN queued;
END $$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION price_in_force(item bigint, supplier bigint, day date) RETURNS numeric
    LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
    SELECT p.price
    FROM tender_items i
    JOIN awards a ON a.tender_id = i.tender_id AND a.supplier_id = supplier
    JOIN award_prices p ON p.award_id = a.id AND p.item_id = i.id
    WHERE i.id = item AND p.valid_from <= day
    ORDER BY p.valid_from DESC, p.id DESC
    LIMIT 1
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION queue_mail(order_id bigint, kind text, recipient text, lang text, subject text, body text, mail_domain text)
RETURNS bigint LANGUAGE sql AS $$
    INSERT INTO mail_outbox (id, order_id, kind, recipient, lang, subject, body, message_id) OVERRIDING SYSTEM VALUE
    SELECT n.id, $1, $2, $3, $4, $5, $6, outbox_message_id(n.id, now(), $7)
    FROM (SELECT nextval(pg_get_serial_sequence('mail_outbox', 'id')) AS id) n
    RETURNING id
$$;
-- +goose StatementEnd
