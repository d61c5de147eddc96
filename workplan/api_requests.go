package workplan

import (
	"encoding/json"
	"strings"

	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/auth"
)

// StatusRequest changes a task's status: a canonical status, a phrase in
// the report's words, or both (then the phrase must mean that status).
type StatusRequest struct {
	Status string  `json:"status" validate:"max=40"`
	Phrase string  `json:"phrase" validate:"max=200"`
	Notes  *string `json:"notes" validate:"omitempty,max=4000"`
	Note   string  `json:"note" validate:"max=2000"`
}

// Change checks r and returns the status change it asks for, by user.
func (r StatusRequest) Change(by int64) (StatusChange, error) {
	ch := StatusChange{Phrase: strings.TrimSpace(r.Phrase), Notes: r.Notes, Note: strings.TrimSpace(r.Note), By: by}
	st := Status(strings.TrimSpace(r.Status))
	switch {
	case st == "" && ch.Phrase == "":
		return ch, apperr.Invalid("error.invalid_fields", apperr.Field("status", "msg.required"))
	case st != "" && !st.Valid():
		return ch, apperr.Invalid("error.invalid_fields", apperr.Field("status", "msg.oneof", statusList()))
	}
	if ch.Phrase != "" {
		ps, _, ok := ParseStatus(ch.Phrase)
		if !ok {
			return ch, apperr.Invalid("error.invalid_fields", apperr.Field("phrase", "workplan.phrase_unknown"))
		}
		if st != "" && ps != st {
			return ch, apperr.Invalid("error.invalid_fields", apperr.Field("phrase", "workplan.phrase_disagrees",
				apperr.K("workplan.status."+string(ps)), apperr.K("workplan.status."+string(st))))
		}
		st = ps
	}
	ch.Status = st
	return ch, nil
}

// errStatusForbidden refuses a status change to a caller who is neither an
// editor nor the task's owner.
var errStatusForbidden = apperr.Forbidden("workplan.status_forbidden")

// mayUpdateStatus lets the economic lead, the cluster admin and the task's
// owner change a task's status.
func mayUpdateStatus(p *auth.Principal) func(*Task) error {
	return func(t *Task) error {
		if p.HasAny(editors...) || (t.OwnerUserID != nil && *t.OwnerUserID == p.UserID) {
			return nil
		}
		return errStatusForbidden
	}
}

// optional is a JSON field that may be absent, null or a value.
type optional[T any] struct {
	Set   bool
	Value *T
}

func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	o.Value = &v
	return nil
}

// trimmed is the text of o without surrounding space ("" for null); a
// text longer than max characters is noted in bad against field.
func trimmed(o optional[string], field string, max int, bad *[]apperr.FieldError) *string {
	v := ""
	if o.Value != nil {
		v = strings.TrimSpace(*o.Value)
	}
	if len([]rune(v)) > max {
		*bad = append(*bad, apperr.Field(field, "msg.max_len", max))
	}
	return &v
}

// TaskPatch edits a task's planning fields; absent fields stay, null clears.
type TaskPatch struct {
	Owner        optional[string]          `json:"owner"`
	OwnerUserID  optional[int64]           `json:"owner_user_id"`
	DueQuarter   optional[int]             `json:"due_quarter"`
	Notes        optional[string]          `json:"notes"`
	Figure       optional[string]          `json:"figure"`
	FigureTarget optional[decimal.Decimal] `json:"figure_target"`
}

// Change checks p and returns the edit it asks for.
func (p TaskPatch) Change() (TaskChange, error) {
	var ch TaskChange
	var bad []apperr.FieldError
	if p.Owner.Set {
		ch.Owner = trimmed(p.Owner, "owner", 200, &bad)
	}
	if p.OwnerUserID.Set {
		ch.OwnerUserID = &p.OwnerUserID.Value
	}
	if p.DueQuarter.Set {
		if v := p.DueQuarter.Value; v != nil && (*v < 1 || *v > 4) {
			bad = append(bad, apperr.Field("due_quarter", "workplan.bad_quarter"))
		}
		ch.DueQuarter = &p.DueQuarter.Value
	}
	if p.Notes.Set {
		ch.Notes = trimmed(p.Notes, "notes", 4000, &bad)
	}
	if p.Figure.Set {
		var f *Figure
		if v := p.Figure.Value; v != nil && *v != "" {
			fv := Figure(*v)
			if !fv.Valid() {
				bad = append(bad, apperr.Field("figure", "msg.oneof", figureList()))
			}
			f = &fv
		}
		ch.Figure = &f
	}
	if p.FigureTarget.Set {
		if v := p.FigureTarget.Value; v != nil && v.IsNegative() {
			bad = append(bad, apperr.Field("figure_target", "msg.not_negative"))
		}
		ch.FigureTarget = &p.FigureTarget.Value
	}
	if len(bad) > 0 {
		return ch, apperr.Invalid("error.invalid_fields", bad...)
	}
	return ch, nil
}
