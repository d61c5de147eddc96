// Package audit reads the trail of every change to the service's records:
// who made it, when, from which address, on which object, and the fields
// before and after. The trail is written by the database itself, in the
// transaction of each change (migrations/00500_audit.sql); nothing here
// writes it.
package audit

import (
	"encoding/json"
	"slices"
	"time"

	"madaf/internal/calendar"
)

// Entry is one recorded change. Before holds the changed fields' old
// values (none for an insert), After their new values (none for a delete);
// a secret is recorded as "***".
type Entry struct {
	ID          int64           `db:"id" json:"id"`
	At          time.Time       `db:"at" json:"at"`
	ActorID     *int64          `db:"actor_id" json:"actor_id"`
	Actor       string          `db:"actor" json:"actor"`
	Address     string          `db:"address" json:"address"`
	AuthorityID *int64          `db:"authority_id" json:"authority_id"`
	Object      string          `db:"object" json:"object"`
	ObjectID    string          `db:"object_id" json:"object_id"`
	Action      string          `db:"action" json:"action"`
	Before      json.RawMessage `db:"before" json:"before"`
	After       json.RawMessage `db:"after" json:"after"`
	// ChangeSet names the transaction that made the change: every entry
	// of one change (a tender with its participants, a user with their
	// invitation) has the same. Nil for entries older than change sets.
	ChangeSet *int64 `db:"change_set" json:"change_set"`
	// RequestID is the id of the request the change was made for (the
	// X-Request-ID of the service's logs), "" for a change made outside a
	// request (a command, the database directly).
	RequestID string `db:"request_id" json:"request_id"`
}

// Actions are the kinds of change the trail records.
var Actions = []string{"insert", "update", "delete"}

// Filter narrows the trail. Zero fields do not narrow; AuthorityID is the
// caller's scope (a treasurer sees its own authority's entries only).
type Filter struct {
	Object      string
	ObjectID    string
	ActorID     int64
	Action      string
	ChangeSet   int64
	RequestID   string
	From, To    calendar.Date
	AuthorityID int64
}

// Change is one field of an entry, old and new, as JSON text.
type Change struct {
	Field  string
	Before string
	After  string
}

// Changes lists the entry's fields in name order, each with its old and
// new value ("" where the action has none).
func (e Entry) Changes() []Change {
	var before, after map[string]json.RawMessage
	json.Unmarshal(e.Before, &before)
	json.Unmarshal(e.After, &after)
	seen := map[string]bool{}
	var names []string
	for _, m := range []map[string]json.RawMessage{before, after} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				names = append(names, k)
			}
		}
	}
	slices.Sort(names)
	out := make([]Change, 0, len(names))
	for _, k := range names {
		out = append(out, Change{Field: k, Before: plain(before[k]), After: plain(after[k])})
	}
	return out
}

// plain shows a JSON value as a person reads it: a string without its
// quotes, null as "", anything else as written.
func plain(v json.RawMessage) string {
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}
