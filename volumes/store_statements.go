package volumes

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/database"
	"madaf/internal/money"
	"madaf/internal/validate"
)

// issuedColumns are an issued statement's columns as issued, over
// issuedFrom: fee_statements s with the statement it supplements, o.
const issuedColumns = `s.id, s.number, s.supplier_id, s.supplier_name, s.company_number,
	to_char(s.month, 'YYYY-MM') AS month, s.supplements_id, o.number AS supplements_number,
	s.order_count, s.subtotal, s.fee, s.issued_by, s.issued_at,
	s.paid_on, s.payment_reference, s.paid_by, s.paid_at, s.version`

const issuedFrom = `fee_statements s LEFT JOIN fee_statements o ON o.id = s.supplements_id`

// IssueStatement issues supplierID's fee statement for month (its first
// day), numbered in month's sequence, with the supplier's names and every
// line's authority names as they are now. The month's first statement
// bills the live statement as it reads now; once the month has one, each
// issue is a supplement to it, billing order by order what the live
// statement now differs from what the month's statements billed so far
// (negative for an order whose basis fell or that left the statement; its
// total may be a credit). Only a month that has ended by now may be issued,
// and only with something to bill (422 for a first statement without
// orders, 409 naming the month's latest number when nothing changed since
// it). p is a user of the cluster.
func (s *Store) IssueStatement(ctx context.Context, p *auth.Principal, supplierID int64, month calendar.Date, now time.Time) (_ *IssuedStatement, err error) {
	defer apperr.Wrap(&err, "volumes.Store.IssueStatement(%d, %s)", supplierID, month)
	if p.OrgKind != auth.OrgCluster {
		return nil, apperr.Forbidden("error.forbidden_role")
	}
	if !month.Before(Month(calendar.DateOf(now))) {
		return nil, apperr.Invalid("volumes.statement.month_open",
			apperr.Field("month", "volumes.statement.month_not_ended", month.Time().Format("2006-01")))
	}
	var id int64
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		// The month's counter row is locked until commit: issues of one
		// month take their numbers, and see each other's statements and
		// lines, in turn.
		var n int
		const qn = `INSERT INTO fee_statement_numbers (month, last) VALUES ($1, 1)
			ON CONFLICT (month) DO UPDATE SET last = fee_statement_numbers.last + 1 RETURNING last`
		if err := tx.GetContext(ctx, &n, qn, month); err != nil {
			return err
		}
		in := s.InTx(tx)
		earlier, err := in.monthStatements(ctx, supplierID, month)
		if err != nil {
			return err
		}
		live, err := in.FeeStatement(ctx, p, supplierID, month)
		if err != nil {
			return err
		}
		lines, original := live.Lines, (*int64)(nil)
		switch {
		case len(earlier) > 0:
			if lines, err = in.supplementLines(ctx, live.Lines, supplierID, month); err != nil {
				return err
			}
			if len(lines) == 0 {
				return apperr.Conflict("volumes.statement.issued", earlier[len(earlier)-1].Number)
			}
			original = &earlier[0].ID
		case len(lines) == 0:
			return apperr.Invalid("volumes.statement.empty",
				apperr.Field("month", "volumes.statement.no_orders", month.Time().Format("2006-01")))
		}
		var sub, fee decimal.Decimal
		for _, l := range lines {
			sub, fee = sub.Add(l.Subtotal.Decimal), fee.Add(l.Fee.Decimal)
		}
		const q = `INSERT INTO fee_statements (number, supplier_id, supplier_name, company_number, month, supplements_id,
				order_count, subtotal, fee, issued_by, issued_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`
		if err := tx.GetContext(ctx, &id, q, StatementNumber(month, n), supplierID, live.SupplierName, live.CompanyNumber,
			month, original, len(lines), sub, fee, p.UserID, now); err != nil {
			return err
		}
		return insertLines(ctx, tx, id, lines)
	})
	if err != nil {
		return nil, err
	}
	return s.IssuedStatement(ctx, p, id)
}

// monthStatement is one statement issued for a supplier's month.
type monthStatement struct {
	ID       int64        `db:"id"`
	Number   string       `db:"number"`
	Subtotal money.Amount `db:"subtotal"`
	Fee      money.Amount `db:"fee"`
}

// monthStatements lists the statements issued for supplierID's month, the
// original first, then its supplements in the order they were issued.
func (s *Store) monthStatements(ctx context.Context, supplierID int64, month calendar.Date) ([]monthStatement, error) {
	const q = `SELECT id, number, subtotal, fee FROM fee_statements WHERE supplier_id = $1 AND month = $2
		ORDER BY supplements_id IS NOT NULL, id`
	out := []monthStatement{}
	return out, s.db.SelectContext(ctx, &out, q, supplierID, month)
}

// billedOrder is what the statements of a month billed of one order, in all.
type billedOrder struct {
	OrderID  int64           `db:"order_id"`
	Subtotal decimal.Decimal `db:"subtotal"`
	Fee      decimal.Decimal `db:"fee"`
}

// billed sums, order by order, what the statements issued for
// supplierID's month billed.
func (s *Store) billed(ctx context.Context, supplierID int64, month calendar.Date) (map[int64]billedOrder, error) {
	const q = `SELECT l.order_id, sum(l.subtotal) AS subtotal, sum(l.fee) AS fee
		FROM fee_statements s JOIN fee_statement_lines l ON l.statement_id = s.id
		WHERE s.supplier_id = $1 AND s.month = $2 GROUP BY l.order_id`
	var rows []billedOrder
	if err := s.db.SelectContext(ctx, &rows, q, supplierID, month); err != nil {
		return nil, err
	}
	out := make(map[int64]billedOrder, len(rows))
	for _, r := range rows {
		out[r.OrderID] = r
	}
	return out, nil
}

// outstanding compares the live lines of a month with what its
// statements billed, order by order: changed are the live lines whose
// subtotal or fee differs from what was billed of their order, each as the
// difference; gone are the orders billed but no longer on the live
// statement (cancelled or rejected since), with something billed to
// credit. Nothing changed and nothing gone means the month's statements
// bill its live statement.
func outstanding(live []StatementLine, billed map[int64]billedOrder) (changed []StatementLine, gone []billedOrder) {
	seen := make(map[int64]bool, len(live))
	for _, l := range live {
		seen[l.OrderID] = true
		b := billed[l.OrderID]
		d := l
		d.Subtotal, d.Fee = money.Of(l.Subtotal.Sub(b.Subtotal)), money.Of(l.Fee.Sub(b.Fee))
		if !d.Subtotal.IsZero() || !d.Fee.IsZero() {
			changed = append(changed, d)
		}
	}
	for id, b := range billed {
		if !seen[id] && (!b.Subtotal.IsZero() || !b.Fee.IsZero()) {
			gone = append(gone, b)
		}
	}
	slices.SortFunc(gone, func(a, b billedOrder) int { return cmp.Compare(a.OrderID, b.OrderID) })
	return changed, gone
}

// supplementLines are the lines a supplement to supplierID's month bills
// against live, its live lines (see outstanding): the changed lines, and a
// line of basis "withdrawn" crediting each order gone, with the order as it
// stands now; by submission day and number, as the live statement.
func (s *Store) supplementLines(ctx context.Context, live []StatementLine, supplierID int64, month calendar.Date) ([]StatementLine, error) {
	billed, err := s.billed(ctx, supplierID, month)
	if err != nil {
		return nil, err
	}
	lines, gone := outstanding(live, billed)
	if len(gone) > 0 {
		ids := make([]int64, len(gone))
		for i, b := range gone {
			ids[i] = b.OrderID
		}
		const q = `SELECT o.id AS order_id, o.number, o.submitted_on, o.status, o.authority_id, '' AS authority_name,
				o.tender_id, t.number AS tender_number, 0 AS subtotal, 'withdrawn' AS basis, o.fee_percent, 0 AS fee
			FROM orders o JOIN tenders t ON t.id = o.tender_id WHERE o.id = ANY($1)`
		var withdrawn []StatementLine
		if err := s.db.SelectContext(ctx, &withdrawn, q, pq.Array(ids)); err != nil {
			return nil, err
		}
		for i := range withdrawn {
			b := billed[withdrawn[i].OrderID]
			withdrawn[i].Subtotal, withdrawn[i].Fee = money.Of(b.Subtotal.Neg()), money.Of(b.Fee.Neg())
		}
		lines = append(lines, withdrawn...)
	}
	slices.SortFunc(lines, func(a, b StatementLine) int {
		if c := a.SubmittedOn.Time().Compare(b.SubmittedOn.Time()); c != 0 {
			return c
		}
		return cmp.Compare(a.OrderNumber, b.OrderNumber)
	})
	return lines, nil
}

// LiveStatement returns supplierID's live statement for month (see
// FeeStatement; the same callers may read it) beside what the month's
// issued statements billed, so that the cluster sees when a supplement is
// due.
func (s *Store) LiveStatement(ctx context.Context, p *auth.Principal, supplierID int64, month calendar.Date) (_ *LiveStatement, err error) {
	defer apperr.Wrap(&err, "volumes.Store.LiveStatement(%d, %s)", supplierID, month)
	st, err := s.FeeStatement(ctx, p, supplierID, month)
	if err != nil {
		return nil, err
	}
	out := &LiveStatement{Statement: st, IssuedNumbers: []string{}}
	issued, err := s.monthStatements(ctx, supplierID, month)
	if err != nil || len(issued) == 0 {
		return out, err
	}
	var sub, fee decimal.Decimal
	for _, i := range issued {
		out.IssuedNumbers = append(out.IssuedNumbers, i.Number)
		sub, fee = sub.Add(i.Subtotal.Decimal), fee.Add(i.Fee.Decimal)
	}
	out.IssuedSubtotal, out.IssuedFee = ptr(money.Of(sub)), ptr(money.Of(fee))
	billed, err := s.billed(ctx, supplierID, month)
	if err != nil {
		return nil, err
	}
	changed, gone := outstanding(st.Lines, billed)
	out.SupplementDue = len(changed) > 0 || len(gone) > 0
	return out, nil
}

func ptr[T any](v T) *T { return &v }

// insertLines stores lines as statement id's, each with its authority's
// names as they are now, in one statement.
func insertLines(ctx context.Context, tx *sqlx.Tx, id int64, lines []StatementLine) error {
	var orders, authorities, tenders []int64
	var numbers, days, statuses, tenderNumbers, subtotals, bases, percents, fees []string
	for _, l := range lines {
		orders, authorities, tenders = append(orders, l.OrderID), append(authorities, l.AuthorityID), append(tenders, l.TenderID)
		numbers, days, statuses = append(numbers, l.OrderNumber), append(days, l.SubmittedOn.String()), append(statuses, l.Status)
		tenderNumbers, bases = append(tenderNumbers, l.TenderNumber), append(bases, l.Basis)
		subtotals, percents, fees = append(subtotals, l.Subtotal.String()), append(percents, l.FeePercent.String()), append(fees, l.Fee.String())
	}
	const q = `INSERT INTO fee_statement_lines (statement_id, order_id, order_number, submitted_on, status, authority_id,
			authority_name_he, authority_name_ar, authority_name_en, tender_id, tender_number, subtotal, basis, fee_percent, fee)
		SELECT $1, l.o, l.n, l.d::date, l.st, l.a, a.name_he, a.name_ar, a.name_en, l.t, l.tn, l.sub::numeric, l.b,
			l.fp::numeric, l.f::numeric
		FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::text[], $9::text[],
			$10::text[], $11::text[], $12::text[]) AS l(o, n, d, st, a, t, tn, sub, b, fp, f)
		JOIN authorities a ON a.id = l.a`
	res, err := tx.ExecContext(ctx, q, id, pq.Array(orders), pq.Array(numbers), pq.Array(days), pq.Array(statuses),
		pq.Array(authorities), pq.Array(tenders), pq.Array(tenderNumbers), pq.Array(subtotals), pq.Array(bases),
		pq.Array(percents), pq.Array(fees))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != int64(len(lines)) {
		return cmp.Or(err, fmt.Errorf("stored %d of statement %d's %d lines", n, id, len(lines)))
	}
	return nil
}

// StatementNumber is the n-th statement of month: YYYY-MM/NNNN.
func StatementNumber(month calendar.Date, n int) string {
	return fmt.Sprintf("%s/%04d", month.Time().Format("2006-01"), n)
}

// IssuedStatements lists one page (f.Page) of the issued statements p may
// see, narrowed by f (its month, supplier and payment), the latest issued
// first: the cluster sees all, a supplier its own; an authority's users
// none (403).
func (s *Store) IssuedStatements(ctx context.Context, p *auth.Principal, f StatementFilter) (_ []IssuedStatement, err error) {
	defer apperr.Wrap(&err, "volumes.Store.IssuedStatements(%+v)", f)
	switch p.OrgKind {
	case auth.OrgCluster:
	case auth.OrgSupplier:
		if f.SupplierID != 0 && f.SupplierID != p.SupplierID {
			return nil, apperr.NotFound("not_found.supplier")
		}
		f.SupplierID = p.SupplierID
	default:
		return nil, apperr.Forbidden("volumes.statement.not_yours")
	}
	var args []any
	conds := []string{"true"}
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, fmt.Sprintf(cond, len(args)))
	}
	if f.SupplierID != 0 {
		add("s.supplier_id = $%d", f.SupplierID)
	}
	if !f.Month.IsZero() {
		add("s.month = $%d", f.Month)
	}
	if f.Paid != nil {
		add("(s.paid_on IS NOT NULL) = $%d", *f.Paid)
	}
	if f.Page.After > 0 {
		add("s.id < $%d", f.Page.After)
	}
	limit := f.Page.Limit
	if limit <= 0 {
		limit = 50
	}
	args = append(args, limit)
	q := `SELECT ` + issuedColumns + ` FROM ` + issuedFrom + `
		WHERE ` + strings.Join(conds, " AND ") + fmt.Sprintf(` ORDER BY s.id DESC LIMIT $%d`, len(args))
	out := []IssuedStatement{}
	if err := s.db.SelectContext(ctx, &out, q, args...); err != nil {
		return nil, err
	}
	return out, nil
}

// IssuedStatement returns issued statement id with its lines as issued
// (authority names in p's language, as they were at issue), if p may see
// it: the cluster, or the supplier it was issued to; anyone else learns
// nothing (404).
func (s *Store) IssuedStatement(ctx context.Context, p *auth.Principal, id int64) (_ *IssuedStatement, err error) {
	defer apperr.Wrap(&err, "volumes.Store.IssuedStatement(%d)", id)
	st, err := s.issued(ctx, id, "")
	if err != nil {
		return nil, err
	}
	if p.OrgKind != auth.OrgCluster && !(p.OrgKind == auth.OrgSupplier && p.SupplierID == st.SupplierID) {
		return nil, apperr.NotFound("not_found.fee_statement")
	}
	const q = `SELECT l.order_id, l.order_number AS number, l.submitted_on, l.status, l.authority_id,
			name_in($2, l.authority_name_he, l.authority_name_ar, l.authority_name_en) AS authority_name,
			l.tender_id, l.tender_number, l.subtotal, l.basis, l.fee_percent, l.fee
		FROM fee_statement_lines l
		WHERE l.statement_id = $1 ORDER BY l.submitted_on, l.order_number`
	st.Lines = []StatementLine{}
	if err := s.db.SelectContext(ctx, &st.Lines, q, id, p.Lang); err != nil {
		return nil, err
	}
	return st, nil
}

// issued reads statement id without its lines; lock is "" or a locking
// clause.
func (s *Store) issued(ctx context.Context, id int64, lock string) (*IssuedStatement, error) {
	var st IssuedStatement
	q := `SELECT ` + issuedColumns + ` FROM ` + issuedFrom + ` WHERE s.id = $1 ` + lock
	if err := s.db.GetContext(ctx, &st, q, id); err != nil {
		return nil, notFound(err, "not_found.fee_statement")
	}
	return &st, nil
}

// MarkPaid records, at now, that issued statement id was paid on
// in.PaidOn (not after now's day nor before its issue) under
// in.Reference — for a credit, that it was settled — when ifMatch is its
// current ETag (or empty; 412 otherwise). A statement is paid once (409);
// each of a month's statements is paid on its own. p is a user of the
// cluster.
func (s *Store) MarkPaid(ctx context.Context, p *auth.Principal, id int64, ifMatch string, in PaymentInput, now time.Time) (_ *IssuedStatement, err error) {
	today := calendar.DateOf(now)
	defer apperr.Wrap(&err, "volumes.Store.MarkPaid(%d)", id)
	if p.OrgKind != auth.OrgCluster {
		return nil, apperr.NotFound("not_found.fee_statement")
	}
	in.Reference = strings.TrimSpace(in.Reference)
	var fields []apperr.FieldError
	switch {
	case in.PaidOn.IsZero():
		fields = append(fields, apperr.Field("paid_on", "msg.required"))
	case in.PaidOn.After(today):
		fields = append(fields, apperr.Field("paid_on", "volumes.statement.paid_in_future"))
	}
	switch {
	case in.Reference == "":
		fields = append(fields, apperr.Field("payment_reference", "msg.required"))
	case len([]rune(in.Reference)) > 100:
		fields = append(fields, apperr.Field("payment_reference", "volumes.statement.reference_too_long", "100"))
	}
	if len(fields) > 0 {
		return nil, apperr.Invalid("volumes.statement.bad_payment", fields...)
	}
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		st, err := s.InTx(tx).issued(ctx, id, "FOR UPDATE OF s")
		if err != nil {
			return err
		}
		if !st.PaidOn.IsZero() {
			return apperr.Conflict("volumes.statement.paid_already", st.Number, st.PaidOn.String())
		}
		if err := validate.Matches(ifMatch, st.ETag(), "volumes.statement.stale"); err != nil {
			return err
		}
		if in.PaidOn.Before(calendar.DateOf(st.IssuedAt)) {
			return apperr.Invalid("volumes.statement.bad_payment",
				apperr.Field("paid_on", "volumes.statement.paid_before_issue", calendar.DateOf(st.IssuedAt).String()))
		}
		const q = `UPDATE fee_statements SET paid_on = $2, payment_reference = $3, paid_by = $4, paid_at = $5,
			version = version + 1 WHERE id = $1`
		_, err = tx.ExecContext(ctx, q, id, in.PaidOn, in.Reference, p.UserID, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.IssuedStatement(ctx, p, id)
}

// SupplierChoices are the suppliers a statement may be issued to, by name.
func (s *Store) SupplierChoices(ctx context.Context) ([]SupplierChoice, error) {
	out := []SupplierChoice{}
	err := s.db.SelectContext(ctx, &out, `SELECT id, legal_name FROM suppliers ORDER BY legal_name, id`)
	return out, err
}
