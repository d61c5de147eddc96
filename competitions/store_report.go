package competitions

import (
	"context"
)

// reportScope selects the competitions of the lead's report ($1 clock, $2
// tender, $3 authority, $4 and $5 the publication days; 0 and null do not
// narrow): every one ever published.
const reportScope = `SELECT c.*, competition_quotes_open(c.deadline, $1) AS open
	FROM competitions c
	WHERE c.round > 0 AND ($2::bigint = 0 OR c.tender_id = $2) AND ($3::bigint = 0 OR c.authority_id = $3)
		AND ($4::date IS NULL OR (SELECT min(e.at) FROM competition_events e WHERE e.competition_id = c.id AND e.action = 'publish')
			>= ($4::date::timestamp AT TIME ZONE 'Asia/Jerusalem'))
		AND ($5::date IS NULL OR (SELECT min(e.at) FROM competition_events e WHERE e.competition_id = c.id AND e.action = 'publish')
			< (($5::date + 1)::timestamp AT TIME ZONE 'Asia/Jerusalem'))`

// reportRows sums the competitions f selects by tender and authority. The
// quotes are counted, and the decided quotes' money read, only once the
// deadline has passed (competition_quotes_open).
func (s *Store) reportRows(ctx context.Context, f ReportFilter) ([]ReportRow, error) {
	const q = `WITH comp AS (` + reportScope + `),
		inv AS (
			SELECT i.competition_id, count(*) AS invited,
				count(*) FILTER (WHERE i.declined_at IS NOT NULL) AS declines,
				count(*) FILTER (WHERE i.set_aside_reasons IS NOT NULL) AS set_aside,
				count(q.id) FILTER (WHERE q.status = 'submitted' AND comp.open) AS quotes
			FROM comp JOIN competition_invitations i ON i.competition_id = comp.id AND i.round = comp.round
			LEFT JOIN competition_quotes q ON q.invitation_id = i.id
			GROUP BY i.competition_id),
		chosen AS (
			SELECT comp.id AS competition_id, r.quoted_total,
				(SELECT coalesce(sum(round(l.quantity * l.framework_price, 2)), 0) FROM competition_quote_lines l
					WHERE l.revision_id = r.id) AS framework_total
			FROM comp
			JOIN competition_invitations i ON i.competition_id = comp.id AND i.round = comp.round AND i.supplier_id = comp.chosen_supplier_id
			JOIN competition_quotes q ON q.invitation_id = i.id
			JOIN competition_quote_revisions r ON r.id = q.last_revision_id
			WHERE comp.status = 'decided' AND comp.open)
		SELECT comp.tender_id, t.number AS tender_number, comp.authority_id,
			name_in($6, a.name_he, a.name_ar, a.name_en) AS authority_name,
			count(*) AS competitions,
			count(*) FILTER (WHERE comp.status = 'published') AS published,
			count(*) FILTER (WHERE comp.status = 'closed') AS closed,
			count(*) FILTER (WHERE comp.status = 'decided') AS decided,
			count(*) FILTER (WHERE comp.status = 'unsuccessful') AS unsuccessful,
			count(*) FILTER (WHERE comp.status = 'cancelled') AS cancelled,
			coalesce(sum(inv.invited), 0) AS invited, coalesce(sum(inv.quotes), 0) AS quotes,
			coalesce(sum(inv.declines), 0) AS declines, coalesce(sum(inv.set_aside), 0) AS set_aside,
			coalesce(sum(chosen.framework_total), 0) AS framework_total, coalesce(sum(chosen.quoted_total), 0) AS decided_total,
			count(*) FILTER (WHERE comp.not_cheapest) AS not_cheapest
		FROM comp
		JOIN tenders t ON t.id = comp.tender_id
		JOIN authorities a ON a.id = comp.authority_id
		LEFT JOIN inv ON inv.competition_id = comp.id
		LEFT JOIN chosen ON chosen.competition_id = comp.id
		GROUP BY comp.tender_id, t.number, comp.authority_id, a.name_he, a.name_ar, a.name_en
		ORDER BY t.number, authority_name, comp.authority_id`
	out := []ReportRow{}
	err := s.db.SelectContext(ctx, &out, q, s.at(), f.TenderID, f.AuthorityID, f.From, f.To, f.Lang)
	return out, err
}

// notCheapest lists the decisions f selects that chose other than the
// cheapest valid quote, newest first, with both quotes' totals.
func (s *Store) notCheapest(ctx context.Context, f ReportFilter) ([]NotCheapest, error) {
	const q = `WITH comp AS (` + reportScope + `)
		SELECT comp.id AS competition_id, comp.tender_id, t.number AS tender_number, comp.authority_id,
			name_in($6, a.name_he, a.name_ar, a.name_en) AS authority_name, comp.decided_at, comp.decision_reason AS reason,
			ic.supplier_id AS chosen_supplier_id, cs.legal_name AS chosen_supplier_name, rc.quoted_total AS chosen_total,
			ik.supplier_id AS cheapest_supplier_id, ks.legal_name AS cheapest_supplier_name, rk.quoted_total AS cheapest_total
		FROM comp
		JOIN tenders t ON t.id = comp.tender_id
		JOIN authorities a ON a.id = comp.authority_id
		JOIN competition_invitations ic ON ic.competition_id = comp.id AND ic.round = comp.round AND ic.supplier_id = comp.decided_supplier_id
		JOIN suppliers cs ON cs.id = ic.supplier_id
		JOIN competition_quotes qc ON qc.invitation_id = ic.id
		JOIN competition_quote_revisions rc ON rc.id = qc.last_revision_id
		JOIN competition_invitations ik ON ik.competition_id = comp.id AND ik.round = comp.round AND ik.rank = 1
		JOIN suppliers ks ON ks.id = ik.supplier_id
		JOIN competition_quotes qk ON qk.invitation_id = ik.id
		JOIN competition_quote_revisions rk ON rk.id = qk.last_revision_id
		WHERE comp.not_cheapest AND comp.open AND comp.decided_at IS NOT NULL
		ORDER BY comp.decided_at DESC, comp.id DESC`
	out := []NotCheapest{}
	err := s.db.SelectContext(ctx, &out, q, s.at(), f.TenderID, f.AuthorityID, f.From, f.To, f.Lang)
	return out, err
}
