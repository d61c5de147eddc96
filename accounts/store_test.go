package accounts_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"madaf/accounts"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/dbtest"
	"madaf/internal/i18n"
)

// fieldKeys is each field of an invalid error with its message key.
func fieldKeys(t *testing.T, err error) map[string]string {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want an *apperr.Error", err)
	}
	out := map[string]string{}
	for _, f := range ae.Fields {
		out[f.Field] = f.Key
	}
	return out
}

func TestCreateUserRefusals(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	s := accounts.NewStore(db)
	var authorityID int64
	db.Get(&authorityID, `INSERT INTO authorities (code, name_he, kind) VALUES ('654', 'כפר קרע', 'local_council') RETURNING id`)
	valid := accounts.NewUser{Email: "t@kq.example", Name: "סמיר", Password: "a long password", OrgKind: auth.OrgAuthority,
		AuthorityID: authorityID, Roles: []string{auth.RoleTreasurer}}
	if _, err := s.CreateUser(ctx, valid); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		change   func(nu *accounts.NewUser)
		kind     apperr.Kind
		key      string
		fields   map[string]string
		detailEn string
	}{
		{"Everything", func(nu *accounts.NewUser) { *nu = accounts.NewUser{Email: "nobody", OrgKind: "guild", Lang: "fr"} },
			apperr.KindInvalid, "user.invalid", map[string]string{"email": "msg.email", "name": "msg.required",
				"password": "msg.required", "org": "user.org_kind", "roles": "msg.required", "lang": "msg.oneof"}, "the user is invalid"},
		{"RoleOfAnotherOrg", func(nu *accounts.NewUser) { nu.Email, nu.Roles = "x@kq.example", []string{auth.RoleSupplier} },
			apperr.KindInvalid, "user.invalid", map[string]string{"roles": "user.role_not_of_org.authority"}, "the user is invalid"},
		{"NoSuchAuthority", func(nu *accounts.NewUser) { nu.Email, nu.AuthorityID = "y@kq.example", authorityID+100 },
			apperr.KindInvalid, "user.invalid", map[string]string{"org": "user.org_unknown"}, "the user is invalid"},
		{"DuplicateEmail", func(nu *accounts.NewUser) { nu.Email = " T@KQ.example " },
			apperr.KindConflict, "user.email_taken", map[string]string{}, "a user with e-mail T@KQ.example already exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nu := valid
			tt.change(&nu)
			_, err := s.CreateUser(ctx, nu)
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Kind != tt.kind || ae.Key != tt.key {
				t.Fatalf("err = %v, want %s %s", err, tt.kind, tt.key)
			}
			if diff := cmp.Diff(tt.fields, fieldKeys(t, err)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			if got := i18n.For("en").Msg(ae.Msg); got != tt.detailEn {
				t.Errorf("English detail %q, want %q", got, tt.detailEn)
			}
		})
	}

	t.Run("RoleNamedInTheReadersLanguage", func(t *testing.T) {
		nu := valid
		nu.Email, nu.OrgKind, nu.AuthorityID, nu.Roles = "c@madaf.example", auth.OrgCluster, 0, []string{auth.RoleOfficer}
		_, err := s.CreateUser(ctx, nu)
		var ae *apperr.Error
		if !errors.As(err, &ae) || len(ae.Fields) != 1 {
			t.Fatalf("err = %v", err)
		}
		if got, want := i18n.For("he").Msg(ae.Fields[0].Msg), `התפקיד "ממונה רכש" אינו מתאים למשתמש של האשכול`; got != want {
			t.Errorf("Hebrew %q, want %q", got, want)
		}
	})
	var n int
	db.Get(&n, `SELECT count(*) FROM users`)
	if n != 1 {
		t.Errorf("%d users stored, want 1", n)
	}
}

func TestResolveOrg(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	s := accounts.NewStore(db)
	var authorityID, supplierID int64
	db.Get(&authorityID, `INSERT INTO authorities (code, name_he, kind) VALUES ('9300', 'זכרון יעקב', 'local_council') RETURNING id`)
	db.Get(&supplierID, `INSERT INTO suppliers (company_number, legal_name, email) VALUES ('510000011', 'ספק', 's@example.com') RETURNING id`)

	tests := []struct {
		spec                    string
		kind                    string
		authorityID, supplierID int64
		errKey                  string
	}{
		{"cluster", auth.OrgCluster, 0, 0, ""},
		{"authority:9300", auth.OrgAuthority, authorityID, 0, ""},
		{"authority:" + itoa(authorityID), auth.OrgAuthority, authorityID, 0, ""},
		{"supplier:510000011", auth.OrgSupplier, 0, supplierID, ""},
		{"authority:1234", "", 0, 0, "not_found.authority"},
		{"supplier:999999999", "", 0, 0, "not_found.supplier"},
		{"guild:1", "", 0, 0, "user.invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			kind, a, sp, err := s.ResolveOrg(ctx, tt.spec)
			if tt.errKey != "" {
				var ae *apperr.Error
				if !errors.As(err, &ae) || ae.Key != tt.errKey {
					t.Fatalf("err = %v, want %s", err, tt.errKey)
				}
				return
			}
			if err != nil || kind != tt.kind || a != tt.authorityID || sp != tt.supplierID {
				t.Fatalf("got %s %d %d %v", kind, a, sp, err)
			}
		})
	}
}

func TestSetActiveAndLang(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	s := accounts.NewStore(db)
	sessions := auth.NewStore(db)
	u, err := s.CreateUser(ctx, accounts.NewUser{Email: "lead@madaf.example", Name: "מיכל", Password: "a long password",
		OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}})
	if err != nil {
		t.Fatal(err)
	}
	if u.Lang != "he" || !u.Active {
		t.Fatalf("new user %+v", u)
	}
	secret, _, err := sessions.NewSession(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("DeactivatingEndsSessions", func(t *testing.T) {
		if err := s.SetActive(ctx, u.ID, false); err != nil {
			t.Fatal(err)
		}
		if err := s.SetActive(ctx, u.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := sessions.SessionPrincipal(ctx, secret); !apperr.Is(err, apperr.KindNotFound) {
			t.Fatalf("the session outlived the deactivation: %v", err)
		}
	})
	t.Run("UnknownUser", func(t *testing.T) {
		err := s.SetActive(ctx, u.ID+100, false)
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Key != "not_found.user" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("Lang", func(t *testing.T) {
		if err := s.SetLang(ctx, u.ID, "ar"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.User(ctx, u.ID); got.Lang != "ar" {
			t.Fatalf("lang %q", got.Lang)
		}
		err := s.SetLang(ctx, u.ID, "fr")
		if diff := cmp.Diff(map[string]string{"lang": "msg.oneof"}, fieldKeys(t, err)); diff != "" || !apperr.Is(err, apperr.KindInvalid) {
			t.Fatalf("err = %v %s", err, diff)
		}
	})
}

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	s := accounts.NewStore(db)
	u, err := s.CreateUser(ctx, accounts.NewUser{Email: "Lead@Madaf.example", Name: "מיכל", Password: "a long password",
		OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}})
	if err != nil {
		t.Fatal(err)
	}
	wrong := func(t *testing.T, email, password, key string) {
		t.Helper()
		_, err := s.Authenticate(ctx, email, password, "192.0.2.1")
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Key != key {
			t.Fatalf("err = %v, want %s", err, key)
		}
	}
	if got, err := s.Authenticate(ctx, "lead@madaf.example", "a long password", "192.0.2.1"); err != nil || got.ID != u.ID {
		t.Fatalf("right password: %+v %v", got, err)
	}
	wrong(t, "nobody@madaf.example", "a long password", "login.wrong")
	if err := s.SetActive(ctx, u.ID, false); err != nil {
		t.Fatal(err)
	}
	wrong(t, "lead@madaf.example", "a long password", "login.wrong")
	if err := s.SetActive(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	for range 4 { // the fifth failure, with the one while deactivated
		wrong(t, "lead@madaf.example", "not it", "login.wrong")
	}
	wrong(t, "lead@madaf.example", "a long password", "login.throttled")
}

// TestThrottling: past a scope's limit the delay doubles with each further
// failure; a storm of guesses from other addresses does not keep the user
// out at an address they have signed in from.
func TestThrottling(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	s := accounts.NewStore(db)
	u, err := s.CreateUser(ctx, accounts.NewUser{Email: "officer@madaf.example", Name: "רונית", Password: "a long password",
		OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}})
	if err != nil {
		t.Fatal(err)
	}
	attempt := func(t *testing.T, password, address string) (key string, wait int) {
		t.Helper()
		_, err := s.Authenticate(ctx, u.Email, password, address)
		if err == nil {
			return "", 0
		}
		var ae *apperr.Error
		if !errors.As(err, &ae) {
			t.Fatalf("err = %v", err)
		}
		return ae.Key, ae.RetryAfter
	}
	age := func(t *testing.T, seconds int) {
		t.Helper()
		if _, err := db.Exec(`UPDATE login_failures SET at = at - make_interval(secs => $1)`, seconds); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("DelayDoubles", func(t *testing.T) {
		for range 5 {
			if key, _ := attempt(t, "not it", "192.0.2.1"); key != "login.wrong" {
				t.Fatalf("failure answered %s", key)
			}
		}
		key, wait := attempt(t, "a long password", "192.0.2.1")
		if key != "login.throttled" || wait < 29 || wait > 30 {
			t.Fatalf("after 5 failures: %s, wait %d s, want login.throttled for 30 s", key, wait)
		}
		age(t, 31)
		if key, _ := attempt(t, "not it", "192.0.2.1"); key != "login.wrong" {
			t.Fatalf("after the delay a guess is checked again, got %s", key)
		}
		if key, wait := attempt(t, "a long password", "192.0.2.1"); key != "login.throttled" || wait < 59 || wait > 60 {
			t.Fatalf("after 6 failures: %s, wait %d s, want 60 s", key, wait)
		}
		age(t, 61)
		if key, _ := attempt(t, "a long password", "192.0.2.1"); key != "" {
			t.Fatalf("the right password after the delay: %s", key)
		}
	})

	t.Run("KnownAddressUnaffected", func(t *testing.T) {
		if key, _ := attempt(t, "a long password", "192.0.2.50"); key != "" {
			t.Fatalf("first sign-in: %s", key)
		}
		for i := range 12 {
			attempt(t, "guess", "198.51.100."+strconv.Itoa(i+1))
		}
		guesses := func() (n int) {
			if err := db.Get(&n, `SELECT count(*) FROM login_failures WHERE address LIKE '198.51.100.%'`); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := guesses(); n != 5 {
			t.Fatalf("%d guesses checked, want 5 before the rest wait", n)
		}
		if key, _ := attempt(t, "a long password", "203.0.113.7"); key != "login.throttled" {
			t.Fatalf("an address the user never used, during the storm: %s", key)
		}
		if key, _ := attempt(t, "a long password", "192.0.2.50"); key != "" {
			t.Fatalf("the user at a known address, during the storm: %s", key)
		}
		if n := guesses(); n != 5 {
			t.Fatalf("the user's sign-in erased the guesser's failures: %d left", n)
		}
	})

	t.Run("TokensRevokedForGood", func(t *testing.T) {
		tokens := auth.NewStore(db)
		tok, err := tokens.NewToken(ctx, u.ID, "script")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tokens.TokenPrincipal(ctx, tok.Token); err != nil {
			t.Fatalf("fresh token: %v", err)
		}
		if err := s.SetActive(ctx, u.ID, false); err != nil {
			t.Fatal(err)
		}
		if err := s.SetActive(ctx, u.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := tokens.TokenPrincipal(ctx, tok.Token); !apperr.Is(err, apperr.KindNotFound) {
			t.Fatalf("the token works again after reactivation: %v", err)
		}
	})
}
