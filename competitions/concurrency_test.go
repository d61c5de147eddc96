package competitions_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"madaf/competitions"
	"madaf/internal/apperr"
)

// TestRevisionsAcrossTheDeadline: ten winners revise their quotes at once
// while the clock passes the deadline and a closer closes the request:
// every revision is either in (taken before the deadline, whole, and the
// last one of its winner is the one the closing ranked) or refused, and
// none is lost or half-written. The clock moves with the revisions (every
// third attempt moves it 100 ms), never with a sleep.
func TestRevisionsAcrossTheDeadline(t *testing.T) {
	e := newEnv(t)
	const winners, lines = 10, 3
	prices := make([][]string, winners)
	for w := range prices {
		prices[w] = []string{"1000", "1000", "1000"}
	}
	tn := e.mustTender("", prices)
	c := e.mustPublished(tn, "1", "2", "3")
	e.setClock(firstDeadline.Add(-2 * time.Second))

	var attempts atomic.Int64
	passed := make(chan struct{})
	var passOnce sync.Once
	tick := func() {
		if attempts.Add(1)%3 != 0 {
			return
		}
		e.mu.Lock()
		e.now = e.now.Add(100 * time.Millisecond)
		late := !e.now.Before(firstDeadline)
		e.mu.Unlock()
		if late {
			passOnce.Do(func() { close(passed) })
		}
	}
	type taken struct {
		revision int
		prices   []string
	}
	accepted := make([][]taken, winners)
	refused := make([]int, winners)
	var wg sync.WaitGroup
	var closed int
	var closeErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-passed
		closed, closeErr = e.svc.CloseDue(ctx)
	}()
	for w := 0; w < winners; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for k := 1; ; k++ {
				p := make([]string, lines)
				for i := range p {
					p[i] = fmt.Sprintf("%d.%02d", 900-w*7-k, (k*13+i)%100)
				}
				f, err := e.svc.SubmitQuote(ctx, tn.Users[w].P, c.ID, quoteInput(c, p...))
				tick()
				var ae *apperr.Error
				switch {
				case err == nil:
					accepted[w] = append(accepted[w], taken{revision: f.Quote.Revision, prices: p})
				case errors.As(err, &ae) && (ae.Key == "competition.deadline_passed" || ae.Key == "competition.wrong_state"):
					refused[w]++
					if refused[w] >= 3 {
						return
					}
				default:
					t.Errorf("winner %d, attempt %d: %v", w, k, err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	if closeErr != nil || closed != 1 {
		t.Fatalf("the closer closed %d: %v", closed, closeErr)
	}

	p, err := e.svc.Protocol(ctx, e.ceo.P, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	entries := map[int64]competitions.ProtocolEntry{}
	for _, en := range p.Entries {
		entries[en.SupplierID] = en
	}
	total := 0
	for w := 0; w < winners; w++ {
		total += len(accepted[w])
		sid := tn.Winners[w]
		stored := e.count(`SELECT count(*) FROM competition_quote_revisions r JOIN competition_quotes q ON q.id = r.quote_id
			WHERE q.competition_id = $1 AND q.supplier_id = $2`, c.ID, sid)
		if stored != len(accepted[w]) {
			t.Errorf("winner %d: %d revisions taken, %d stored", w, len(accepted[w]), stored)
		}
		for i, a := range accepted[w] {
			if a.revision != i+1 {
				t.Errorf("winner %d: revision %d answered as %d", w, i+1, a.revision)
			}
		}
		en := entries[sid]
		if len(accepted[w]) == 0 {
			if en.Quote != nil {
				t.Errorf("winner %d has a quote without an accepted revision", w)
			}
			continue
		}
		last := accepted[w][len(accepted[w])-1]
		if en.Quote == nil || en.Quote.Revision != last.revision || en.Rank == nil {
			t.Errorf("winner %d: the protocol has %+v, want revision %d ranked", w, en.Quote, last.revision)
			continue
		}
		for i, l := range en.Quote.Lines {
			if l.UnitPrice.String() != last.prices[i] {
				t.Errorf("winner %d line %d: %s counted, %s was the last taken", w, i+1, l.UnitPrice.String(), last.prices[i])
			}
		}
		if !en.Quote.LastRevisionAt.Before(firstDeadline) {
			t.Errorf("winner %d: a revision at %v, after the deadline", w, en.Quote.LastRevisionAt)
		}
	}
	if total < winners {
		t.Fatalf("only %d revisions were taken before the deadline", total)
	}
	if n := e.count(`SELECT count(*) FROM competition_quote_revisions r JOIN competition_quotes q ON q.id = r.quote_id
		WHERE q.competition_id = $1 AND (r.submitted_at >= $2
			OR (SELECT count(*) FROM competition_quote_lines l WHERE l.revision_id = r.id) <> $3)`, c.ID, firstDeadline, lines); n != 0 {
		t.Fatalf("%d revisions late or half-written", n)
	}
	t.Logf("%d attempts: %d revisions taken before the deadline, the rest refused", attempts.Load(), total)
}

// TestClosersShareTheWork: two closers running at once close each due
// request exactly once.
func TestClosersShareTheWork(t *testing.T) {
	e := newEnv(t)
	tn := e.mustTender("", [][]string{{"100"}, {"110"}})
	var ids []int64
	for i := 0; i < 6; i++ {
		c := e.mustPublished(tn, "1")
		e.mustQuote(c, tn, i%2, "90")
		ids = append(ids, c.ID)
	}
	e.setClock(firstDeadline)
	other := competitions.NewService(e.db, competitions.Options{Now: e.clock, Orders: e.orders})
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for i, svc := range []*competitions.Service{e.svc, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := svc.CloseDue(ctx)
			if err != nil {
				t.Error(err)
			}
			counts[i] = n
		}()
	}
	wg.Wait()
	if counts[0]+counts[1] != len(ids) {
		t.Fatalf("closed %v, want %d in all", counts, len(ids))
	}
	for _, id := range ids {
		if n := e.count(`SELECT count(*) FROM competition_events WHERE competition_id = $1 AND action = 'close'`, id); n != 1 {
			t.Fatalf("competition %d closed %d times", id, n)
		}
	}
}
