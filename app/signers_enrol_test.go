package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/fixture"
	"madaf/internal/webtest"
)

// TestSignersEnrolBeforeSigning: a treasurer without a second factor (one
// newly appointed) is asked to enrol before signing, on the order's page
// and through the API alike, with a token made before as with a new one;
// an officer who becomes a delegate is held the same way with the token
// they had as an officer. Nothing is signed until they have enrolled.
func TestSignersEnrolBeforeSigning(t *testing.T) {
	w := mustAuthzWorld(t)
	ctx := context.Background()
	first, _ := w.mustOrder(t, "pending_approval")
	second, _ := w.mustOrder(t, "pending_approval")
	treasurer := w.callerID(t, "treasurer")
	oldToken := w.tokens["treasurer"]
	w.db.MustExec(`UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL WHERE id = $1`, treasurer)
	newToken, err := w.sess.NewToken(ctx, treasurer, "after")
	if err != nil {
		t.Fatal(err)
	}
	signature := map[string]any{"slot": "treasurer", "legal": true, "budget_line": true, "no_deficit": true}
	signatures := func(order string) int {
		t.Helper()
		var n int
		if err := w.db.Get(&n, `SELECT count(*) FROM order_signatures WHERE order_id = $1 AND role = 'treasurer'`, order); err != nil {
			t.Fatal(err)
		}
		return n
	}
	enrolFirst := func(what string, r webtest.Response) {
		t.Helper()
		if r.Code != http.StatusForbidden || r.Map(t)["code"] != "account.second_factor_required" {
			t.Errorf("%s: %d %s, want 403 account.second_factor_required", what, r.Code, r.Body)
		}
	}

	for name, tok := range map[string]string{"a token made before": oldToken, "a new token": newToken.Token} {
		enrolFirst(name, webtest.Do(w.h, "POST", "/api/v1/orders/"+first+"/sign", tok, signature))
	}
	secret, _, err := w.sess.NewSession(ctx, treasurer)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/orders/"+first+"/sign",
		strings.NewReader(url.Values{"legal": {"on"}, "budget_line": {"on"}, "no_deficit": {"on"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: secret})
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != auth.EnrolmentPath {
		t.Errorf("the page's signature: %d → %q, want the enrolment", rec.Code, rec.Header().Get("Location"))
	}
	if n := signatures(first); n != 0 {
		t.Fatalf("%d treasurer's signatures before enrolling", n)
	}

	webtest.MustSecondFactor(t, w.db, treasurer)
	if r := webtest.Do(w.h, "POST", "/api/v1/orders/"+first+"/sign", oldToken, signature); r.Code != http.StatusOK {
		t.Fatalf("after enrolling, the old token signs: %d %s", r.Code, r.Body)
	}
	if n := signatures(first); n != 1 {
		t.Fatalf("%d treasurer's signatures after enrolling", n)
	}

	t.Run("NewDelegate", func(t *testing.T) {
		officer := fixture.MustUser(t, w.db, auth.OrgAuthority, w.zichron, auth.RoleOfficer)
		w.db.MustExec(`UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL WHERE id = $1`, officer.ID)
		if r := webtest.Do(w.h, "GET", "/api/v1/orders", officer.Token, nil); r.Code != http.StatusOK {
			t.Fatalf("an officer's token: %d", r.Code)
		}
		r := webtest.Do(w.h, "POST", fmt.Sprintf("/api/v1/authorities/%d/delegations", w.zichron), oldToken,
			map[string]any{"slot": "treasurer", "delegate_id": officer.ID, "max_total": "50000.00",
				"valid_from": calendar.Today().String(), "valid_until": calendar.Today().AddDays(30).String()})
		if r.Code != http.StatusCreated {
			t.Fatalf("grant: %d %s", r.Code, r.Body)
		}
		enrolFirst("the delegate's token made before", webtest.Do(w.h, "POST", "/api/v1/orders/"+second+"/sign", officer.Token, signature))
		enrolFirst("the delegate's token, reading", webtest.Do(w.h, "GET", "/api/v1/orders", officer.Token, nil))
		if n := signatures(second); n != 0 {
			t.Fatalf("%d signatures by the delegate before enrolling", n)
		}
		webtest.MustSecondFactor(t, w.db, officer.ID)
		if r := webtest.Do(w.h, "POST", "/api/v1/orders/"+second+"/sign", officer.Token, signature); r.Code != http.StatusOK {
			t.Fatalf("the delegate after enrolling: %d %s", r.Code, r.Body)
		}
	})
}

// callerID is the user id of a caller of the matrix.
func (w *authzWorld) callerID(t *testing.T, name string) int64 {
	t.Helper()
	for _, c := range w.callers {
		if c.name == name {
			return c.userID
		}
	}
	t.Fatalf("no caller %q", name)
	return 0
}
