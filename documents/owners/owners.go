// Package owners holds who may see and add the documents of each kind of
// owner, asking each owner's feature through its own scoped Get: a caller
// sees an object's documents exactly when the feature shows it the object.
package owners

import (
	"context"

	"madaf/catalog"
	"madaf/competitions"
	"madaf/documents"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/orders"
	"madaf/suppliers"
)

// Features are the features whose objects take documents.
type Features struct {
	Orders       *orders.Service
	Catalog      *catalog.Store
	Suppliers    *suppliers.Store
	Competitions *competitions.Service
}

// Rules returns the rule of every kind of owner:
//   - an order: those orders.Service.Get shows it to (the cluster, its
//     authority's users, the supplier once it was sent); its authority's
//     officer and its supplier add;
//   - a tender: those catalog.Store.VisibleTender shows it to (the cluster,
//     the participating authorities' users, its winners); the economic
//     lead and the cluster admin add;
//   - a supplier: the cluster and the supplier itself (suppliers.Store.Get
//     shows the registry to authorities, but not their certificates); both add;
//   - a mini-competition: those competitions.Service.Get shows it to; its
//     authority's officer adds;
//   - a work-plan task: the cluster's users, as the work plan shows it;
//     the economic lead and the cluster admin add.
//
// Whatever the kind, a supplier sees none of the internal documents
// (documents.Service.grant decides it for every rule).
func (f Features) Rules() map[documents.Kind]documents.Rule {
	return map[documents.Kind]documents.Rule{
		documents.KindOrder:        f.order,
		documents.KindTender:       f.tender,
		documents.KindSupplier:     f.supplier,
		documents.KindCompetition:  f.competition,
		documents.KindWorkplanTask: workplanTask,
	}
}

// clusterEditors are the cluster's roles that change tenders and the plan.
var clusterEditors = []string{auth.RoleEconomicLead, auth.RoleClusterAdmin}

func (f Features) order(ctx context.Context, p *auth.Principal, id int64) (documents.Grant, error) {
	o, err := f.Orders.Get(ctx, p, id)
	if err != nil {
		return documents.Grant{}, err
	}
	may := p.Has(auth.RoleOfficer) && p.AuthorityID == o.AuthorityID ||
		p.OrgKind == auth.OrgSupplier && p.SupplierID == o.SupplierID
	return documents.Grant{Owner: documents.Owner{AuthorityID: o.AuthorityID}, MayAdd: may}, nil
}

func (f Features) tender(ctx context.Context, p *auth.Principal, id int64) (documents.Grant, error) {
	if _, err := f.Catalog.VisibleTender(ctx, p, id); err != nil {
		return documents.Grant{}, err
	}
	return documents.Grant{MayAdd: p.IsCluster() && p.HasAny(clusterEditors...)}, nil
}

func (f Features) supplier(ctx context.Context, p *auth.Principal, id int64) (documents.Grant, error) {
	if _, err := f.Suppliers.Get(ctx, p, id); err != nil {
		return documents.Grant{}, err
	}
	if !p.IsCluster() && !(p.OrgKind == auth.OrgSupplier && p.SupplierID == id) {
		return documents.Grant{}, apperr.NotFound("not_found.supplier")
	}
	return documents.Grant{MayAdd: true}, nil
}

func (f Features) competition(ctx context.Context, p *auth.Principal, id int64) (documents.Grant, error) {
	c, err := f.Competitions.Get(ctx, p, id)
	if err != nil {
		return documents.Grant{}, err
	}
	may := p.Has(auth.RoleOfficer) && p.AuthorityID == c.AuthorityID
	return documents.Grant{Owner: documents.Owner{AuthorityID: c.AuthorityID}, MayAdd: may}, nil
}

// workplanTask: the work plan is the cluster's alone (its API answers
// others 404); Service checks that the task exists.
func workplanTask(_ context.Context, p *auth.Principal, _ int64) (documents.Grant, error) {
	if !p.IsCluster() {
		return documents.Grant{}, apperr.NotFound("not_found.resource")
	}
	return documents.Grant{MayAdd: p.HasAny(clusterEditors...)}, nil
}
