-- +goose Up
-- An authority cannot leave a tender while its orders there still reserve
-- capacity. The check runs at commit, so that a tender update that
-- rewrites its participation rows in one transaction passes as long as
-- the authority is still there at the end. It raises SQLSTATE MDR01, which
-- the service reports as a 409 with this message.

-- +goose StatementBegin
CREATE FUNCTION guard_participation_removed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    reserving int;
BEGIN
    IF EXISTS (SELECT 1 FROM tender_authorities WHERE tender_id = OLD.tender_id AND authority_id = OLD.authority_id) THEN
        RETURN NULL;
    END IF;
    SELECT count(*) INTO reserving FROM orders
    WHERE tender_id = OLD.tender_id AND authority_id = OLD.authority_id
      AND status IN ('pending_approval', 'sent', 'confirmed', 'partially_delivered', 'delivered', 'closed');
    IF reserving > 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'MDR01',
            MESSAGE = format('the authority cannot leave the tender: %s of its orders there reserve capacity', reserving);
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE CONSTRAINT TRIGGER tender_authorities_removed AFTER DELETE ON tender_authorities
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION guard_participation_removed();

-- +goose Down
DROP TRIGGER tender_authorities_removed ON tender_authorities;
DROP FUNCTION guard_participation_removed();
