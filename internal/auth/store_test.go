package auth_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// mustUser stores a user of org (authority_id or supplier_id given by
// orgID) and returns its id.
func mustUser(t *testing.T, db *sqlx.DB, email, orgKind string, orgID int64, role, lang string) int64 {
	t.Helper()
	var authorityID, supplierID *int64
	switch orgKind {
	case auth.OrgAuthority:
		authorityID = &orgID
	case auth.OrgSupplier:
		supplierID = &orgID
	}
	var id int64
	err := db.Get(&id, `INSERT INTO users (email, name, password_hash, org_kind, authority_id, supplier_id, roles, lang)
		VALUES ($1, $1, 'x', $2, $3, $4, ARRAY[$5], $6) RETURNING id`, email, orgKind, authorityID, supplierID, role, lang)
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return id
}

func TestPrincipalCarriesOrgName(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	s := auth.NewStore(db)
	var kq, zy, sup int64
	db.Get(&kq, `INSERT INTO authorities (code, name_he, name_ar, name_en, kind)
		VALUES ('654', 'כפר קרע', 'كفر قرع', 'Kafr Qara', 'local_council') RETURNING id`)
	db.Get(&zy, `INSERT INTO authorities (code, name_he, kind) VALUES ('9300', 'זכרון יעקב', 'local_council') RETURNING id`)
	db.Get(&sup, `INSERT INTO suppliers (company_number, legal_name, email) VALUES ('510000011', 'מדיקל בע"מ', 's@example.com') RETURNING id`)

	tests := []struct {
		name   string
		org    string
		orgID  int64
		role   string
		want   [3]string // he, ar, en
		wantID func(p *auth.Principal) int64
	}{
		{"AuthorityInEveryLanguage", auth.OrgAuthority, kq, auth.RoleOfficer, [3]string{"כפר קרע", "كفر قرع", "Kafr Qara"}, func(p *auth.Principal) int64 { return p.AuthorityID }},
		{"AuthorityHebrewWhereMissing", auth.OrgAuthority, zy, auth.RoleTreasurer, [3]string{"זכרון יעקב", "זכרון יעקב", "זכרון יעקב"}, func(p *auth.Principal) int64 { return p.AuthorityID }},
		{"SupplierLegalName", auth.OrgSupplier, sup, auth.RoleSupplier, [3]string{`מדיקל בע"מ`, `מדיקל בע"מ`, `מדיקל בע"מ`}, func(p *auth.Principal) int64 { return p.SupplierID }},
		{"ClusterNone", auth.OrgCluster, 0, auth.RoleEconomicLead, [3]string{"", "", ""}, func(p *auth.Principal) int64 { return 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := mustUser(t, db, tt.name+"@example.com", tt.org, tt.orgID, tt.role, "ar")
			secret, _, err := s.NewSession(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := s.NewToken(ctx, id, "test")
			if err != nil {
				t.Fatal(err)
			}
			byID, err := s.Principal(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			bySession, err := s.SessionPrincipal(ctx, secret)
			if err != nil {
				t.Fatal(err)
			}
			byToken, err := s.TokenPrincipal(ctx, tok.Token)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range []*auth.Principal{byID, bySession, byToken} {
				got := [3]string{p.OrgName("he"), p.OrgName("ar"), p.OrgName("en")}
				if got != tt.want {
					t.Errorf("org names %q, want %q", got, tt.want)
				}
				if p.UserID != id || p.OrgKind != tt.org || tt.wantID(p) != tt.orgID || p.Lang != "ar" || !cmp.Equal(p.Roles, []string{tt.role}) {
					t.Errorf("principal %+v", p)
				}
			}
		})
	}
}

func TestSessionsAndTokensEnd(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	s := auth.NewStore(db)
	lead := mustUser(t, db, "lead@example.com", auth.OrgCluster, 0, auth.RoleEconomicLead, "he")
	other := mustUser(t, db, "other@example.com", auth.OrgCluster, 0, auth.RoleEconomicLead, "he")
	secret, _, err := s.NewSession(ctx, lead)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.NewToken(ctx, lead, "ERP")
	if err != nil {
		t.Fatal(err)
	}
	notFound := func(t *testing.T, err error) {
		t.Helper()
		if !apperr.Is(err, apperr.KindNotFound) {
			t.Fatalf("err = %v, want not found", err)
		}
	}

	t.Run("AnotherUsersTokenIsNotFound", func(t *testing.T) {
		err := s.RevokeToken(ctx, other, tok.ID)
		notFound(t, err)
		if err.(*apperr.Error).Key != "not_found.token" {
			t.Errorf("key %q", err.(*apperr.Error).Key)
		}
	})
	t.Run("TokenUseIsNoted", func(t *testing.T) {
		if _, err := s.TokenPrincipal(ctx, tok.Token); err != nil {
			t.Fatal(err)
		}
		ts, err := s.Tokens(ctx, lead)
		if err != nil || len(ts) != 1 || ts[0].LastUsedAt == nil || ts[0].Token != "" {
			t.Fatalf("tokens %+v, %v", ts, err)
		}
	})
	t.Run("DeactivatedUserHasNoPrincipal", func(t *testing.T) {
		db.MustExec(`UPDATE users SET active = false WHERE id = $1`, lead)
		_, err := s.SessionPrincipal(ctx, secret)
		notFound(t, err)
		_, err = s.TokenPrincipal(ctx, tok.Token)
		notFound(t, err)
		db.MustExec(`UPDATE users SET active = true WHERE id = $1`, lead)
	})
	t.Run("ExpiredSession", func(t *testing.T) {
		old, _, err := s.NewSession(ctx, lead)
		if err != nil {
			t.Fatal(err)
		}
		db.MustExec(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE token_hash = sha256($1::bytea)`, old)
		_, err = s.SessionPrincipal(ctx, old)
		notFound(t, err)
	})
	t.Run("Revoked", func(t *testing.T) {
		if err := s.RevokeToken(ctx, lead, tok.ID); err != nil {
			t.Fatal(err)
		}
		_, err := s.TokenPrincipal(ctx, tok.Token)
		notFound(t, err)
		notFound(t, s.RevokeToken(ctx, lead, tok.ID))
	})
	t.Run("DeletedSession", func(t *testing.T) {
		if err := s.DeleteSession(ctx, secret); err != nil {
			t.Fatal(err)
		}
		_, err := s.SessionPrincipal(ctx, secret)
		notFound(t, err)
	})
	t.Run("InTx", func(t *testing.T) {
		tx := db.MustBegin()
		defer tx.Rollback()
		fresh, _, err := s.InTx(tx).NewSession(ctx, other)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionPrincipal(ctx, fresh); !apperr.Is(err, apperr.KindNotFound) {
			t.Fatalf("an uncommitted session is seen outside its transaction: %v", err)
		}
		if p, err := s.InTx(tx).SessionPrincipal(ctx, fresh); err != nil || p.UserID != other {
			t.Fatalf("in the transaction: %+v, %v", p, err)
		}
	})
}

func TestCheckPassword(t *testing.T) {
	hash, err := auth.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, hash, password string
		want                 bool
	}{
		{"Right", hash, "correct horse battery", true},
		{"Wrong", hash, "correct horse", false},
		{"NoHash", "", "madaf-no-such-user", false},
		{"Malformed", "$argon2id$v=19$m=x$y$z", "correct horse battery", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := auth.CheckPassword(tt.hash, tt.password); got != tt.want {
				t.Errorf("CheckPassword = %t, want %t", got, tt.want)
			}
		})
	}
}
