package volumes

import (
	"context"
	"slices"

	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
)

// Performance is how a supplier answers and delivers, over the orders
// submitted in the filtered months.
type Performance struct {
	SupplierID   int64  `json:"supplier_id"`
	SupplierName string `json:"supplier_name"`
	// Confirmed orders, and of them those confirmed by the confirmation
	// deadline; InWindowPercent is their share ("92.50"), null when none
	// was confirmed.
	Confirmed         int     `json:"confirmed"`
	ConfirmedInWindow int     `json:"confirmed_in_window"`
	InWindowPercent   *string `json:"in_window_percent"`
	// MedianHoursToConfirm is the median time from sending to confirmation,
	// in hours with two decimals; null when none was confirmed.
	MedianHoursToConfirm *float64 `json:"median_hours_to_confirm"`
	// Rejected orders; RejectionPercent is their share of the orders the
	// supplier answered (confirmed or rejected).
	Rejected         int     `json:"rejected"`
	RejectionPercent *string `json:"rejection_percent"`
	// Delivered (in full) orders, and of them those delivered by the
	// promised date.
	Delivered           int     `json:"delivered"`
	DeliveredByPromised int     `json:"delivered_by_promised"`
	ByPromisedPercent   *string `json:"by_promised_percent"`
	// OverdueNow are the orders sent to the supplier and still unanswered
	// after their confirmation deadline, today (whatever the months).
	OverdueNow int `json:"overdue_now"`
	// Disputes are the receipts of the orders submitted in the months that
	// found a delivery short or damaged (or other than reported).
	Disputes int `json:"disputes"`
}

func percent(part, whole int) *string {
	if whole == 0 {
		return nil
	}
	s := decimal.NewFromInt(int64(part)).Mul(decimal.NewFromInt(100)).Div(decimal.NewFromInt(int64(whole))).Round(2).StringFixed(2)
	return &s
}

// Performance returns the performance of the suppliers p may see, narrowed
// by f, counting as overdue the orders whose deadline was before today;
// worst (most overdue, then lowest in-window share) first.
func (s *Store) Performance(ctx context.Context, p *auth.Principal, f Filter, today calendar.Date) (_ []Performance, err error) {
	defer apperr.Wrap(&err, "volumes.Store.Performance(%v, %s)", f, today)
	f, err = scope(p, f)
	if err != nil {
		return nil, err
	}
	counts, err := s.performanceCounts(ctx, f)
	if err != nil {
		return nil, err
	}
	bySupplier := map[int64]*Performance{}
	get := func(id int64) *Performance {
		if pf, ok := bySupplier[id]; ok {
			return pf
		}
		pf := &Performance{SupplierID: id}
		bySupplier[id] = pf
		return pf
	}
	for _, c := range counts {
		pf := get(c.SupplierID)
		pf.Confirmed, pf.ConfirmedInWindow, pf.Rejected = c.Confirmed, c.InWindow, c.Rejected
		pf.Delivered, pf.DeliveredByPromised = c.Delivered, c.ByPromised
	}

	overdue, err := s.overdueBySupplier(ctx, f, today)
	if err != nil {
		return nil, err
	}
	for id, n := range overdue {
		get(id).OverdueNow = n
	}

	disputes, err := s.disputesBySupplier(ctx, f)
	if err != nil {
		return nil, err
	}
	for id, n := range disputes {
		get(id).Disputes = n
	}

	medians, err := s.medianSeconds(ctx, f)
	if err != nil {
		return nil, err
	}
	for id, sec := range medians {
		h := sec.Div(decimal.NewFromInt(3600)).Round(2).InexactFloat64()
		get(id).MedianHoursToConfirm = &h
	}

	ids := make([]int64, 0, len(bySupplier))
	for id := range bySupplier {
		ids = append(ids, id)
	}
	n, err := s.names(ctx, p.Lang, nil, nil, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Performance, 0, len(bySupplier))
	for _, pf := range bySupplier {
		pf.SupplierName = n.Suppliers[pf.SupplierID]
		pf.InWindowPercent = percent(pf.ConfirmedInWindow, pf.Confirmed)
		pf.RejectionPercent = percent(pf.Rejected, pf.Confirmed+pf.Rejected)
		pf.ByPromisedPercent = percent(pf.DeliveredByPromised, pf.Delivered)
		out = append(out, *pf)
	}
	slices.SortFunc(out, func(a, b Performance) int {
		if a.OverdueNow != b.OverdueNow {
			return b.OverdueNow - a.OverdueNow
		}
		if c := lateShare(b).Cmp(lateShare(a)); c != 0 {
			return c
		}
		return compareStrings(a.SupplierName, b.SupplierName)
	})
	return out, nil
}

// lateShare is the share of confirmations after the deadline (0 when none).
func lateShare(p Performance) decimal.Decimal {
	if p.Confirmed == 0 {
		return decimal.Zero
	}
	return decimal.NewFromInt(int64(p.Confirmed - p.ConfirmedInWindow)).Div(decimal.NewFromInt(int64(p.Confirmed)))
}
