package authorities_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"madaf/accounts"
	"madaf/authorities"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/database"
	"madaf/internal/webtest"
)

// signers are the users of authority a who sign or may be delegated to,
// with a user of b.
type signers struct {
	*fixture
	treasurer, head, deputy, officerB user
	admin                             user
}

type user struct {
	ID    int64
	Token string
	P     *auth.Principal
}

func newSigners(t *testing.T) *signers {
	t.Helper()
	f := newFixture(t)
	s := &signers{fixture: f}
	mk := func(email string, authorityID int64, role string) user {
		org := auth.OrgAuthority
		if authorityID == 0 {
			org = auth.OrgCluster
		}
		u := webtest.MustUser(t, f.db, accounts.NewUser{Email: email, Name: "שם " + email, OrgKind: org, AuthorityID: authorityID, Roles: []string{role}})
		return user{ID: u.ID, Token: webtest.MustToken(t, f.db, u.ID),
			P: &auth.Principal{UserID: u.ID, OrgKind: org, AuthorityID: authorityID, Roles: []string{role}}}
	}
	s.treasurer = mk("gizbar@a.example", f.a, auth.RoleTreasurer)
	s.head = mk("rosh@a.example", f.a, auth.RoleHead)
	s.deputy = mk("deputy@a.example", f.a, auth.RoleOfficer)
	s.officerB = mk("officer@b.example", f.b, auth.RoleOfficer)
	s.admin = mk("admin2@example.com", 0, auth.RoleClusterAdmin)
	return s
}

func (s *signers) delegationsPath(authorityID int64) string {
	return "/api/v1/authorities/" + strconv.FormatInt(authorityID, 10) + "/delegations"
}

// grant is the body of a grant of slot to delegate up to max for this
// year.
func grant(slot string, delegate int64, max string) map[string]any {
	today := calendar.Today()
	return map[string]any{"slot": slot, "delegate_id": delegate, "max_total": max,
		"valid_from": today.AddDays(-1).String(), "valid_until": today.AddDays(60).String(), "note": "בהיעדרות"}
}

func with(body map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range body {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func TestGrantDelegation(t *testing.T) {
	s := newSigners(t)
	a := s.delegationsPath(s.a)
	tests := []struct {
		name       string
		path       string
		token      string
		body       map[string]any
		status     int
		code       string
		field      string // the field whose error has fieldCode
		fieldCode  string
		fieldMsg   string
		wantHolder int64
	}{
		{"TreasurerWithinBand", a, s.treasurer.Token, grant("treasurer", s.deputy.ID, "50000.00"),
			http.StatusCreated, "", "", "", "", s.treasurer.ID},
		{"TreasurerAtTheBand", a, s.treasurer.Token, grant("treasurer", s.deputy.ID, "93900.00"),
			http.StatusCreated, "", "", "", "", s.treasurer.ID},
		{"TreasurerAboveBand", a, s.treasurer.Token, grant("treasurer", s.deputy.ID, "93900.01"),
			http.StatusUnprocessableEntity, "authority.delegation.invalid", "max_total", "authority.delegation.msg.above_band",
			"must not exceed the authority's legal band of ₪ 93,900.00", 0},
		{"HeadNotLimitedByBand", a, s.head.Token, grant("head", s.deputy.ID, "500000.00"),
			http.StatusCreated, "", "", "", "", s.head.ID},
		{"OfficerIsNoHolder", a, s.officerA, grant("treasurer", s.deputy.ID, "1000.00"),
			http.StatusForbidden, "authority.delegation.holder_only", "", "", "", 0},
		{"HeadCannotDelegateTheTreasurers", a, s.head.Token, grant("treasurer", s.deputy.ID, "1000.00"),
			http.StatusForbidden, "authority.delegation.holder_only", "", "", "", 0},
		{"HolderDelegatesOnlyTheirOwn", a, s.treasurer.Token, with(grant("treasurer", s.deputy.ID, "1000.00"), "holder_id", s.head.ID),
			http.StatusForbidden, "authority.delegation.holder_only", "", "", "", 0},
		{"OutOfScopeAuthority", s.delegationsPath(s.b), s.treasurer.Token, grant("treasurer", s.deputy.ID, "1000.00"),
			http.StatusNotFound, "not_found.authority", "", "", "", 0},
		{"MissingAuthority", s.delegationsPath(s.b + 1000), s.admin.Token, grant("treasurer", s.deputy.ID, "1000.00"),
			http.StatusNotFound, "not_found.authority", "", "", "", 0},
		{"AdminNamesTheHolder", a, s.admin.Token, grant("treasurer", s.deputy.ID, "1000.00"),
			http.StatusUnprocessableEntity, "authority.delegation.invalid", "holder_id", "msg.required", "", 0},
		{"AdminRecordsTheAuthorisation", a, s.admin.Token, with(grant("treasurer", s.deputy.ID, "1000.00"), "holder_id", s.treasurer.ID, "note", " "),
			http.StatusUnprocessableEntity, "authority.delegation.invalid", "note", "authority.delegation.msg.authorisation",
			"must record the holder's written authorisation", 0},
		{"AdminHolderMustHoldTheSlot", a, s.admin.Token, with(grant("treasurer", s.deputy.ID, "1000.00"), "holder_id", s.head.ID),
			http.StatusUnprocessableEntity, "authority.delegation.invalid", "holder_id", "authority.delegation.msg.not_holder",
			"must be a user of the authority who holds the role Treasurer", 0},
		{"AdminForTheHolder", a, s.admin.Token, with(grant("treasurer", s.deputy.ID, "1000.00"), "holder_id", s.treasurer.ID, "note", "מכתב הגזברית מ-1.3"),
			http.StatusCreated, "", "", "", "", s.treasurer.ID},
		{"DelegateSignsHimself", a, s.treasurer.Token, grant("treasurer", s.head.ID, "1000.00"),
			http.StatusUnprocessableEntity, "authority.delegation.invalid", "delegate_id", "authority.delegation.msg.delegate_signs", "", 0},
		{"DelegateIsTheHolder", a, s.treasurer.Token, grant("treasurer", s.treasurer.ID, "1000.00"),
			http.StatusUnprocessableEntity, "authority.delegation.invalid", "delegate_id", "authority.delegation.msg.delegate_signs", "", 0},
		{"DelegateOfAnotherAuthority", a, s.treasurer.Token, grant("treasurer", s.officerB.ID, "1000.00"),
			http.StatusUnprocessableEntity, "authority.delegation.invalid", "delegate_id", "authority.delegation.msg.delegate_not_member",
			"must be an active user of the authority", 0},
		{"ZeroMaximum", a, s.treasurer.Token, grant("treasurer", s.deputy.ID, "0"),
			http.StatusUnprocessableEntity, "authority.delegation.invalid", "max_total", "msg.positive", "", 0},
		{"UntilBeforeFrom", a, s.treasurer.Token, with(grant("treasurer", s.deputy.ID, "1000.00"), "valid_until", calendar.Today().AddDays(-2).String()),
			http.StatusUnprocessableEntity, "authority.delegation.invalid", "valid_until", "authority.delegation.msg.until_before_from", "", 0},
		{"NoSlot", a, s.treasurer.Token, with(grant("treasurer", s.deputy.ID, "1000.00"), "slot", "ceo"),
			http.StatusUnprocessableEntity, "authority.delegation.invalid", "slot", "msg.oneof", "", 0},
		{"UnknownField", a, s.treasurer.Token, with(grant("treasurer", s.deputy.ID, "1000.00"), "threshold", "1"),
			http.StatusBadRequest, "error.unknown_field", "", "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do("POST", tt.path, tt.token, tt.body)
			m := r.Map(t)
			if r.Code != tt.status || (tt.code != "" && m["code"] != tt.code) {
				t.Fatalf("status %d, want %d %s: %s", r.Code, tt.status, tt.code, r.Body)
			}
			if tt.field != "" {
				e := fieldError(t, r, tt.field)
				if e["code"] != tt.fieldCode || (tt.fieldMsg != "" && e["message"] != tt.fieldMsg) {
					t.Fatalf("error on %s: %v, want %s %q: %s", tt.field, e, tt.fieldCode, tt.fieldMsg, r.Body)
				}
			}
			if tt.status != http.StatusCreated {
				return
			}
			if m["holder_id"] != float64(tt.wantHolder) || m["delegate_id"] != float64(s.deputy.ID) || m["status"] != "in_force" ||
				m["in_force"] != true || m["max_total"] != tt.body["max_total"] || m["revoked_at"] != nil || m["delegate_name"] != "שם deputy@a.example" {
				t.Fatalf("granted: %s", r.Body)
			}
		})
	}

	var n int
	s.db.Get(&n, `SELECT count(*) FROM signature_delegations`)
	if n != 4 {
		t.Errorf("%d delegations recorded, want the 4 granted", n)
	}
	var grantedBy int64
	s.db.Get(&grantedBy, `SELECT granted_by FROM signature_delegations WHERE note LIKE 'מכתב%'`)
	if grantedBy != s.admin.ID {
		t.Errorf("the admin's grant is recorded as granted by %d, want %d", grantedBy, s.admin.ID)
	}

	t.Run("BandOfTheProfileInForceOnTheFirstDay", func(t *testing.T) {
		from := calendar.Today().AddDays(30)
		mustExec(t, s.db, `INSERT INTO authority_profiles (authority_id, effective_from, kind, population, delegation_band)
			VALUES ($1, $2, 'local_council', 60000, 188100)`, s.a, from)
		later := with(grant("treasurer", s.deputy.ID, "150000.00"), "valid_from", from.String(), "valid_until", from.AddDays(30).String())
		if r := s.do("POST", a, s.treasurer.Token, later); r.Code != http.StatusCreated {
			t.Fatalf("within the band from %s: %d %s", from, r.Code, r.Body)
		}
		r := s.do("POST", a, s.treasurer.Token, with(later, "valid_from", calendar.Today().String()))
		if e := fieldError(t, r, "max_total"); r.Code != http.StatusUnprocessableEntity || e["message"] != "must not exceed the authority's legal band of ₪ 93,900.00" {
			t.Fatalf("from today, under today's band: %d %s", r.Code, r.Body)
		}
	})
}

func TestRevokeDelegation(t *testing.T) {
	s := newSigners(t)
	ctx := context.Background()
	store := authorities.NewStore(s.db)
	r := s.do("POST", s.delegationsPath(s.a), s.treasurer.Token, grant("treasurer", s.deputy.ID, "20000.00"))
	if r.Code != http.StatusCreated {
		t.Fatalf("grant: %d %s", r.Code, r.Body)
	}
	var d authorities.Delegation
	r.JSON(t, &d)
	today := calendar.Today()
	if got, err := store.DelegationFor(ctx, s.deputy.ID, s.a, authorities.SlotTreasurer, today); err != nil || got.ID != d.ID {
		t.Fatalf("before the revocation: %+v, %v", got, err)
	}
	revoke := s.delegationsPath(s.a) + "/" + strconv.FormatInt(d.ID, 10) + "/revoke"
	for _, tt := range []struct {
		name   string
		path   string
		token  string
		status int
		code   string
	}{
		{"ByAnOfficer", revoke, s.officerA, http.StatusForbidden, "authority.delegation.revoke_holder_only"},
		{"ByTheHeadForTheTreasurers", revoke, s.head.Token, http.StatusForbidden, "authority.delegation.revoke_holder_only"},
		{"ByAnotherAuthority", revoke, s.treasB, http.StatusNotFound, "not_found.authority"},
		{"UnderAnotherAuthority", s.delegationsPath(s.b) + "/" + strconv.FormatInt(d.ID, 10) + "/revoke", s.admin.Token, http.StatusNotFound, "authority.delegation.not_found"},
		{"Missing", s.delegationsPath(s.a) + "/999999/revoke", s.treasurer.Token, http.StatusNotFound, "authority.delegation.not_found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do("POST", tt.path, tt.token, nil)
			if r.Code != tt.status || r.Map(t)["code"] != tt.code {
				t.Fatalf("status %d, want %d %s: %s", r.Code, tt.status, tt.code, r.Body)
			}
		})
	}

	r = s.do("POST", revoke, s.treasurer.Token, nil)
	m := r.Map(t)
	if r.Code != http.StatusOK || m["status"] != "revoked" || m["in_force"] != false || m["revoked_by"] != float64(s.treasurer.ID) || m["revoked_at"] == nil {
		t.Fatalf("revoke: %d %s", r.Code, r.Body)
	}
	if _, err := store.DelegationFor(ctx, s.deputy.ID, s.a, authorities.SlotTreasurer, today); apperr.KindOf(err) != apperr.KindNotFound {
		t.Fatalf("DelegationFor after the revocation: %v, want not found", err)
	}
	if last, err := store.LatestDelegation(ctx, s.deputy.ID, s.a, authorities.SlotTreasurer, today); err != nil || last.Status != authorities.DelegationRevoked {
		t.Fatalf("LatestDelegation after the revocation: %+v, %v", last, err)
	}
	r = s.do("POST", revoke, s.admin.Token, nil)
	if m := r.Map(t); r.Code != http.StatusConflict || m["code"] != "authority.delegation.already_revoked" ||
		m["detail"] != "the delegation was already revoked on "+today.String() {
		t.Fatalf("revoke again: %d %s", r.Code, r.Body)
	}

	var list struct {
		Items []authorities.Delegation `json:"items"`
	}
	s.do("GET", s.delegationsPath(s.a)+"?status=revoked", s.officerA, nil).JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0].RevokedByName == nil || *list.Items[0].RevokedByName != "שם gizbar@a.example" ||
		list.Items[0].GrantedByName != "שם gizbar@a.example" || list.Items[0].HolderName != "שם gizbar@a.example" {
		t.Fatalf("the authority's revoked delegations: %+v", list.Items)
	}
	s.do("GET", s.delegationsPath(s.a)+"?status=in_force", s.admin.Token, nil).JSON(t, &list)
	if len(list.Items) != 0 {
		t.Fatalf("delegations in force after the revocation: %+v", list.Items)
	}
	if r := s.do("GET", s.delegationsPath(s.a)+"?status=lost", s.admin.Token, nil); r.Code != http.StatusUnprocessableEntity || fieldError(t, r, "status") == nil {
		t.Fatalf("a bad filter: %d %s", r.Code, r.Body)
	}
	if r := s.do("GET", s.delegationsPath(s.a), s.supplier, nil); r.Code != http.StatusNotFound {
		t.Fatalf("a supplier lists delegations: %d %s", r.Code, r.Body)
	}
}

// mustDelegation records a delegation of the treasurer's slot to the
// deputy from from until until through the store.
func (s *signers) mustDelegation(t *testing.T, max string, from, until calendar.Date) *authorities.Delegation {
	t.Helper()
	d, err := authorities.NewStore(s.db).GrantDelegation(context.Background(), s.treasurer.P, s.a, authorities.DelegationInput{
		Slot: authorities.SlotTreasurer, DelegateID: s.deputy.ID, MaxTotal: decimal.RequireFromString(max), ValidFrom: from, ValidUntil: until})
	if err != nil {
		t.Fatalf("grant: %v", err)
	}
	return d
}

func TestDelegationFor(t *testing.T) {
	s := newSigners(t)
	ctx := context.Background()
	store := authorities.NewStore(s.db)
	today := calendar.Today()
	ending := s.mustDelegation(t, "1000.00", today.AddDays(-10), today)
	larger := s.mustDelegation(t, "5000.00", today.AddDays(-5), today)
	future := s.mustDelegation(t, "9000.00", today.AddDays(3), today.AddDays(9))

	for _, tt := range []struct {
		name       string
		delegate   int64
		authority  int64
		slot       string
		day        calendar.Date
		want       int64  // 0: none in force
		wantStatus string // of the latest granted (future) on day; "" none
	}{
		{"TheLargestInForce", s.deputy.ID, s.a, authorities.SlotTreasurer, today, larger.ID, authorities.DelegationNotYet},
		{"OnTheFirstDay", s.deputy.ID, s.a, authorities.SlotTreasurer, today.AddDays(-10), ending.ID, authorities.DelegationNotYet},
		{"AfterTheLastDay", s.deputy.ID, s.a, authorities.SlotTreasurer, today.AddDays(1), 0, authorities.DelegationNotYet},
		{"BeforeTheFirstDay", s.deputy.ID, s.a, authorities.SlotTreasurer, today.AddDays(-11), 0, authorities.DelegationNotYet},
		{"TheFuturesFirstDay", s.deputy.ID, s.a, authorities.SlotTreasurer, today.AddDays(3), future.ID, authorities.DelegationInForce},
		{"AllExpired", s.deputy.ID, s.a, authorities.SlotTreasurer, today.AddDays(10), 0, authorities.DelegationExpired},
		{"OtherSlot", s.deputy.ID, s.a, authorities.SlotHead, today, 0, ""},
		{"OtherAuthority", s.deputy.ID, s.b, authorities.SlotTreasurer, today, 0, ""},
		{"OtherUser", s.officerB.ID, s.a, authorities.SlotTreasurer, today, 0, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := store.DelegationFor(ctx, tt.delegate, tt.authority, tt.slot, tt.day)
			if tt.want == 0 {
				var ae *apperr.Error
				if !errors.As(err, &ae) || ae.Kind != apperr.KindNotFound || ae.Key != "authority.delegation.not_found" {
					t.Fatalf("got %+v, %v; want none in force", d, err)
				}
			} else if err != nil || d.ID != tt.want || !d.InForce {
				t.Fatalf("got %+v, %v; want delegation %d", d, err, tt.want)
			}
			last, err := store.LatestDelegation(ctx, tt.delegate, tt.authority, tt.slot, tt.day)
			if tt.wantStatus == "" {
				if apperr.KindOf(err) != apperr.KindNotFound {
					t.Fatalf("LatestDelegation: %+v, %v; want none", last, err)
				}
				return
			}
			if err != nil || last.ID != future.ID || last.Status != tt.wantStatus {
				t.Fatalf("LatestDelegation: %+v, %v", last, err)
			}
		})
	}

	t.Run("InsideATransactionItHoldsTheRevocation", func(t *testing.T) {
		tx, err := s.db.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		d, err := store.InTx(tx).DelegationFor(ctx, s.deputy.ID, s.a, authorities.SlotTreasurer, today)
		if err != nil || d.ID != larger.ID {
			t.Fatalf("in the transaction: %+v, %v", d, err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := store.RevokeDelegation(ctx, s.treasurer.P, s.a, larger.ID)
			done <- err
		}()
		select {
		case err := <-done:
			t.Fatalf("the revocation did not wait for the signing transaction: %v", err)
		case <-time.After(300 * time.Millisecond):
		}
		tx.Rollback()
		if err := <-done; err != nil {
			t.Fatalf("the revocation after the transaction: %v", err)
		}
		if d, err := store.DelegationFor(ctx, s.deputy.ID, s.a, authorities.SlotTreasurer, today); err != nil || d.ID != ending.ID {
			t.Fatalf("after revoking the larger: %+v, %v; want the smaller", d, err)
		}
	})
}

// TestDelegationsKeptByDatabase: the database itself refuses to delete a
// delegation or to change it but by revoking it, once.
func TestDelegationsKeptByDatabase(t *testing.T) {
	s := newSigners(t)
	d := s.mustDelegation(t, "1000.00", calendar.Today(), calendar.Today().AddDays(5))
	refused := func(name, q string, args ...any) {
		t.Helper()
		_, err := s.db.Exec(q, args...)
		var pqErr *pq.Error
		if !errors.As(err, &pqErr) {
			t.Fatalf("%s: %v, want refused", name, err)
		}
		t.Logf("%s: %s %s", name, pqErr.Code, pqErr.Message)
	}
	refused("Delete", `DELETE FROM signature_delegations WHERE id = $1`, d.ID)
	refused("RaiseTheMaximum", `UPDATE signature_delegations SET max_total = 90000 WHERE id = $1`, d.ID)
	refused("Extend", `UPDATE signature_delegations SET valid_until = valid_until + 30 WHERE id = $1`, d.ID)
	refused("RevokeWithoutWho", `UPDATE signature_delegations SET revoked_at = now() WHERE id = $1`, d.ID)
	refused("RevokeAndChange", `UPDATE signature_delegations SET revoked_at = now(), revoked_by = $2, note = 'x' WHERE id = $1`, d.ID, s.treasurer.ID)
	mustExec(t, s.db, `UPDATE signature_delegations SET revoked_at = now(), revoked_by = $2 WHERE id = $1`, d.ID, s.treasurer.ID)
	refused("RevokeAgain", `UPDATE signature_delegations SET revoked_at = now(), revoked_by = $2 WHERE id = $1`, d.ID, s.admin.ID)
	refused("Unrevoke", `UPDATE signature_delegations SET revoked_at = NULL, revoked_by = NULL WHERE id = $1`, d.ID)
	var n int
	s.db.Get(&n, `SELECT count(*) FROM signature_delegations WHERE id = $1 AND max_total = 1000 AND revoked_by = $2`, d.ID, s.treasurer.ID)
	if n != 1 {
		t.Fatal("the delegation changed")
	}
	_, err := s.db.Exec(`DELETE FROM signature_delegations WHERE id = $1`, d.ID)
	if ae := apperr.KindOf(database.MapError(err)); ae != apperr.KindConflict {
		t.Fatalf("the service reads the refusal as %s, want a conflict", ae)
	}
}

func TestProfiles(t *testing.T) {
	s := newSigners(t)
	ctx := context.Background()
	store := authorities.NewStore(s.db)
	today := calendar.Today()
	profiles := "/api/v1/authorities/" + strconv.FormatInt(s.a, 10) + "/profiles"

	t.Run("LegalBand", func(t *testing.T) {
		for pop, want := range map[int]string{0: "93900", 50000: "93900", 50001: "188100", 100000: "188100", 100001: "626700", 900000: "626700"} {
			if got := authorities.LegalBand(pop); !got.Equal(decimal.RequireFromString(want)) {
				t.Errorf("LegalBand(%d) = %s, want %s", pop, got, want)
			}
		}
	})

	past, next := today.AddDays(-400), today.AddDays(30)
	r := s.do("POST", profiles, s.admin.Token, map[string]any{"effective_from": past.String(), "kind": "local_council", "population": 60000})
	if m := r.Map(t); r.Code != http.StatusCreated || m["delegation_band"] != "188100.00" || m["recorded_by"] != float64(s.admin.ID) || m["in_force"] != true {
		t.Fatalf("a profile from %s: %d %s", past, r.Code, r.Body)
	}
	r = s.do("POST", profiles, s.admin.Token, map[string]any{"effective_from": next.String(), "kind": "municipality", "population": 120000, "delegation_band": "700000.00"})
	if m := r.Map(t); r.Code != http.StatusCreated || m["in_force"] != false {
		t.Fatalf("a profile from %s: %d %s", next, r.Code, r.Body)
	}
	for _, tt := range []struct {
		day  calendar.Date
		from calendar.Date
		band string
	}{
		{authorities.FirstProfileFrom.AddDays(-1), authorities.FirstProfileFrom, "93900"},
		{past.AddDays(-1), authorities.FirstProfileFrom, "93900"},
		{past, past, "188100"},
		{today, past, "188100"},
		{next, next, "700000"},
		{next.AddDays(1000), next, "700000"},
	} {
		pr, err := store.Profile(ctx, s.a, tt.day)
		if err != nil || pr.EffectiveFrom != tt.from || !pr.DelegationBand.Equal(decimal.RequireFromString(tt.band)) {
			t.Errorf("Profile on %s: %+v, %v; want the one from %s with band %s", tt.day, pr, err, tt.from, tt.band)
		}
	}
	var list struct {
		Items []authorities.Profile `json:"items"`
	}
	s.do("GET", profiles, s.officerA, nil).JSON(t, &list)
	if len(list.Items) != 3 || list.Items[0].EffectiveFrom != next || !list.Items[1].InForce || list.Items[0].InForce || list.Items[2].RecordedBy != nil {
		t.Fatalf("the history: %+v", list.Items)
	}
	var a authorities.Authority
	s.do("GET", "/api/v1/authorities/"+strconv.FormatInt(s.a, 10), s.officerA, nil).JSON(t, &a)
	if a.Population != 60000 || a.ProfileEffectiveFrom != past || a.Kind != "local_council" || !a.DelegationBand.Equal(decimal.NewFromInt(188100)) {
		t.Fatalf("the authority shows %+v, want the profile in force", a)
	}

	for _, tt := range []struct {
		name   string
		path   string
		token  string
		body   map[string]any
		status int
		code   string
		field  string
	}{
		{"OnlyTheAdmin", profiles, s.treasurer.Token, map[string]any{"effective_from": today.String(), "kind": "local_council", "population": 1}, http.StatusForbidden, "authority.profile.admin_only", ""},
		{"OutOfScope", "/api/v1/authorities/" + strconv.FormatInt(s.b, 10) + "/profiles", s.treasurer.Token, map[string]any{}, http.StatusNotFound, "not_found.authority", ""},
		{"NoDate", profiles, s.admin.Token, map[string]any{"kind": "local_council", "population": 1}, http.StatusUnprocessableEntity, "authority.profile.invalid", "effective_from"},
		{"NoKind", profiles, s.admin.Token, map[string]any{"effective_from": today.String(), "kind": "city", "population": 1}, http.StatusUnprocessableEntity, "authority.profile.invalid", "kind"},
		{"NegativePopulation", profiles, s.admin.Token, map[string]any{"effective_from": today.String(), "kind": "local_council", "population": -1}, http.StatusUnprocessableEntity, "authority.profile.invalid", "population"},
		{"ZeroBand", profiles, s.admin.Token, map[string]any{"effective_from": today.String(), "kind": "local_council", "population": 1, "delegation_band": "0"}, http.StatusUnprocessableEntity, "authority.profile.invalid", "delegation_band"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do("POST", tt.path, tt.token, tt.body)
			if r.Code != tt.status || r.Map(t)["code"] != tt.code || (tt.field != "" && fieldError(t, r, tt.field) == nil) {
				t.Fatalf("status %d, want %d %s on %q: %s", r.Code, tt.status, tt.code, tt.field, r.Body)
			}
		})
	}
}
