package competitions

import (
	"context"
	"database/sql"
	"errors"

	"madaf/internal/apperr"
	"madaf/internal/database"
)

// questions returns competition competitionID's questions, oldest first:
// for supplier supplierID the answered ones and its own; for anyone else
// (supplierID 0) every one. No row names who asked, but Mine marks the
// asker's own.
func (s *Store) questions(ctx context.Context, competitionID, supplierID int64) ([]Question, error) {
	const q = `SELECT id, question, answer, answered_at, asked_at, supplier_id, (supplier_id = $2) AS mine
		FROM competition_questions
		WHERE competition_id = $1 AND ($2::bigint = 0 OR answered_at IS NOT NULL OR supplier_id = $2)
		ORDER BY id`
	out := []Question{}
	err := s.db.SelectContext(ctx, &out, q, competitionID, supplierID)
	return out, err
}

// ask adds supplierID's question, asked by userID, to competition
// competitionID.
func (s *Store) ask(ctx context.Context, competitionID, supplierID, userID int64, question string) (*Question, error) {
	const q = `INSERT INTO competition_questions (competition_id, supplier_id, asked_by, asked_at, question)
		VALUES ($1, $2, NULLIF($3::bigint, 0), competition_clock($5), $4)
		RETURNING id, question, answer, answered_at, asked_at, supplier_id, true AS mine`
	out := &Question{}
	err := s.db.GetContext(ctx, out, q, competitionID, supplierID, userID, question, s.at())
	return out, database.MapError(err)
}

// answer records userID's answer to question id of competition
// competitionID; a question answered already is a conflict, another
// competition's is not found.
func (s *Store) answer(ctx context.Context, competitionID, id, userID int64, answer string) (*Question, error) {
	const q = `UPDATE competition_questions SET answer = $4, answered_by = NULLIF($3::bigint, 0), answered_at = competition_clock($5)
		WHERE id = $2 AND competition_id = $1 AND answered_at IS NULL
		RETURNING id, question, answer, answered_at, asked_at, supplier_id, false AS mine`
	out := &Question{}
	err := s.db.GetContext(ctx, out, q, competitionID, id, userID, answer, s.at())
	if errors.Is(err, sql.ErrNoRows) {
		var exists bool
		const qe = `SELECT EXISTS (SELECT 1 FROM competition_questions WHERE id = $2 AND competition_id = $1)`
		if err := s.db.GetContext(ctx, &exists, qe, competitionID, id); err != nil {
			return nil, err
		}
		if exists {
			return nil, apperr.Conflict("competition.answered_already")
		}
		return nil, apperr.NotFound("not_found.question")
	}
	return out, database.MapError(err)
}
