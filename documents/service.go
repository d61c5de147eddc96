package documents

import (
	"context"

	"github.com/jmoiron/sqlx"

	"madaf/internal/apperr"
	"madaf/internal/auth"
)

// Grant is what a caller may do with one owner's documents.
type Grant struct {
	// Owner is the owner, with its authority when it has one.
	Owner Owner
	// MayAdd is true when the caller may add documents to it.
	MayAdd bool
	// Internal is true when the caller sees the owner's internal documents
	// and may mark those it adds internal (Service.grant sets it).
	Internal bool
}

// Rule decides, for one kind of owner, whether p may see owner id's
// documents (by the owner feature's own scope: its Get) and whether p may
// add to them. Out of p's scope, or missing, it is apperr not-found.
type Rule func(ctx context.Context, p *auth.Principal, id int64) (Grant, error)

// Service lists, adds and opens documents for a caller, asking the rule of
// the owner's kind who may.
type Service struct {
	Store *Store
	rules map[Kind]Rule
}

// NewService returns a Service over the pool db with a rule for each kind
// of owner that takes documents; a kind without a rule answers not found.
func NewService(db *sqlx.DB, rules map[Kind]Rule) *Service {
	return &Service{Store: NewStore(db), rules: rules}
}

// grant asks kind's rule about owner id for p, and checks that the owner
// exists. It decides, for every kind, who sees internal documents: the
// users of the authorities and of the cluster do, a supplier's never (a
// supplier sees of an owner only what is not internal, and cannot add an
// internal document).
func (s *Service) grant(ctx context.Context, p *auth.Principal, kind Kind, id int64) (Grant, error) {
	rule, ok := s.rules[kind]
	if !ok || p == nil || id <= 0 {
		return Grant{}, apperr.NotFound("not_found.resource")
	}
	g, err := rule(ctx, p, id)
	if err != nil {
		return Grant{}, err
	}
	g.Owner.Kind, g.Owner.ID = kind, id
	g.Internal = p.OrgKind != auth.OrgSupplier
	if exists, err := s.Store.OwnerExists(ctx, g.Owner); err != nil {
		return Grant{}, err
	} else if !exists {
		return Grant{}, apperr.NotFound("not_found.resource")
	}
	return g, nil
}

// List returns the documents of owner (kind, id) when p may see it,
// newest first, without the internal ones when p may not see those (all
// the versions of a document are internal or none is, so no link leads to
// a hidden one).
func (s *Service) List(ctx context.Context, p *auth.Principal, kind Kind, id int64) (_ Grant, out []Document, err error) {
	defer apperr.Wrap(&err, "documents.Service.List(%s %d)", kind, id)
	g, err := s.grant(ctx, p, kind, id)
	if err != nil {
		return Grant{}, nil, err
	}
	if out, err = s.Store.List(ctx, g.Owner); err != nil || g.Internal {
		return g, out, err
	}
	shown := out[:0]
	for _, d := range out {
		if !d.Internal {
			shown = append(shown, d)
		}
	}
	return g, shown, nil
}

// Add adds file to owner (kind, id) for p. An owner p may not see is not
// found; one p may see but not add to is forbidden ("document.forbidden");
// the file is refused as Store.Add refuses it.
func (s *Service) Add(ctx context.Context, p *auth.Principal, kind Kind, id int64, file Upload) (_ *Document, err error) {
	defer apperr.Wrap(&err, "documents.Service.Add(%s %d)", kind, id)
	g, err := s.grant(ctx, p, kind, id)
	if err != nil {
		return nil, err
	}
	if !g.MayAdd {
		return nil, apperr.Forbidden("document.forbidden")
	}
	return s.addTo(ctx, g, file, p)
}

// addTo adds file to g's owner for p, whom g allows to add: one who may
// not see internal documents (a supplier) may neither mark the file
// internal (an invalid "internal") nor replace an internal document (an
// unknown "replaces", as it is to them), and adds a document that is not
// internal.
func (s *Service) addTo(ctx context.Context, g Grant, file Upload, p *auth.Principal) (*Document, error) {
	if !g.Internal {
		if file.Internal != nil && *file.Internal {
			return nil, apperr.Invalid("document.invalid", apperr.Field("internal", "document.internal_supplier"))
		}
		if file.Replaces != 0 {
			if d, err := s.Store.Get(ctx, file.Replaces); err == nil && d.Internal {
				return nil, apperr.Invalid("document.invalid", apperr.Field("replaces", "document.replaces_unknown"))
			}
		}
		no := false
		file.Internal = &no
	}
	return s.Store.Add(ctx, g.Owner, file, p)
}

// Get returns document id's metadata when p may see its owner and, for an
// internal document, internal documents; else apperr not-found
// ("not_found.document").
func (s *Service) Get(ctx context.Context, p *auth.Principal, id int64) (_ *Document, err error) {
	defer apperr.Wrap(&err, "documents.Service.Get(%d)", id)
	d, err := s.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	g, err := s.grant(ctx, p, d.OwnerKind, d.OwnerID)
	if err != nil {
		if apperr.Is(err, apperr.KindNotFound) {
			return nil, apperr.NotFound("not_found.document")
		}
		return nil, err
	}
	if d.Internal && !g.Internal {
		return nil, apperr.NotFound("not_found.document")
	}
	return d, nil
}

// Open returns document id and its bytes when p may see it (see Get),
// else apperr not-found ("not_found.document").
func (s *Service) Open(ctx context.Context, p *auth.Principal, id int64) (_ *Document, content []byte, err error) {
	defer apperr.Wrap(&err, "documents.Service.Open(%d)", id)
	if _, err := s.Get(ctx, p, id); err != nil {
		return nil, nil, err
	}
	return s.Store.Open(ctx, id)
}
