package accounts_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"madaf/accounts"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/dbtest"
	"madaf/internal/i18n"
)

// The receiver (מקבל/ת טובין) is a role of an authority's users, and of
// no other organisation's; the database keeps it so too.
func TestReceiverIsAnAuthorityRole(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	s := accounts.NewStore(db)
	var authorityID, supplierID int64
	if err := db.Get(&authorityID, `INSERT INTO authorities (code, name_he, kind) VALUES ('9300', 'זכרון יעקב', 'local_council') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(&supplierID, `INSERT INTO suppliers (company_number, legal_name, email) VALUES ('510000011', 'ספק', 's@example.com') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUser(ctx, accounts.NewUser{Email: "machsan@zy.example", Name: "שלומי", Password: "a long password",
		OrgKind: auth.OrgAuthority, AuthorityID: authorityID, Roles: []string{auth.RoleReceiver}})
	if err != nil || len(u.Roles) != 1 || u.Roles[0] != auth.RoleReceiver {
		t.Fatalf("an authority's receiver: %+v, %v", u, err)
	}
	_, err = s.CreateUser(ctx, accounts.NewUser{Email: "r@s.example", Name: "ספק", Password: "a long password",
		OrgKind: auth.OrgSupplier, SupplierID: supplierID, Roles: []string{auth.RoleReceiver}})
	var ae *apperr.Error
	if !errors.As(err, &ae) || len(ae.Fields) != 1 || ae.Fields[0].Key != "user.role_not_of_org.supplier" {
		t.Fatalf("a supplier's receiver: %v", err)
	}
	for lang, want := range map[string]string{"he": `התפקיד "מקבל/ת טובין"`, "ar": `"مستلم البضائع"`, "en": `"Goods receiver"`} {
		if got := i18n.For(lang).Msg(ae.Fields[0].Msg); !strings.Contains(got, want) {
			t.Errorf("%s: %q, want it to name %s", lang, got, want)
		}
	}
	if _, err := db.Exec(`INSERT INTO users (email, name, password_hash, org_kind, roles) VALUES ('c@madaf.example', 'x', '', 'cluster', ARRAY['receiver'])`); err == nil || !strings.Contains(err.Error(), "users_check") {
		t.Fatalf("the database took a receiver of the cluster: %v", err)
	}
}
