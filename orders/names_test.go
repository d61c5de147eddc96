package orders_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"madaf/internal/page/pagetest"
)

// TestPagesNameTheTenderAndBudgetLineInTheReadersLanguage: the order page,
// the orders list and the signatories' inbox give the tender's title and
// the budget line's name in the reader's language, and the Hebrew where
// they have none in it; the JSON keeps the Hebrew title.
func TestPagesNameTheTenderAndBudgetLineInTheReadersLanguage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mountPages()
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	var title string
	e.db.Get(&title, `UPDATE tenders SET title_ar = 'معدات طبية', title_en = 'Medical equipment' WHERE id = $1 RETURNING title`, tn.ID)
	var lineName string
	e.db.Get(&lineName, `UPDATE budget_lines SET name_ar = 'بند الاختبار', name_en = 'Test line' WHERE id = $1 RETURNING name`, e.budgetLine)
	id := e.submitted(tn, "2")

	for _, tt := range []struct {
		lang, title, line string
	}{
		{"he", title, lineName},
		{"ar", "معدات طبية", "بند الاختبار"},
		{"en", "Medical equipment", "Test line"},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			e.db.MustExec(`UPDATE users SET lang = $1 WHERE id IN ($2, $3)`, tt.lang, e.officer.ID, e.treasurer.ID)
			order := e.getPage(fmt.Sprintf("/orders/%d", id), e.treasurer)
			pagetest.Expect(t, order, http.StatusOK, "· "+tt.title+"</dd>", "· "+tt.line+"</dd>")
			pagetest.Expect(t, e.getPage("/orders", e.officer), http.StatusOK, "· "+tt.title+"</td>")
			pagetest.Expect(t, e.getPage("/inbox", e.treasurer), http.StatusOK, "· "+tt.title+"</td>")
			if tt.lang != "he" && strings.Contains(order.Body, title) {
				t.Errorf("the order page in %s still names the tender %q", tt.lang, title)
			}
			r := e.do("GET", fmt.Sprintf("/api/v1/orders/%d", id), e.officer, nil)
			if m := r.Map(t); m["tender_title"] != title {
				t.Errorf("the JSON's tender_title is %v, want the Hebrew %q", m["tender_title"], title)
			}
		})
	}
}
