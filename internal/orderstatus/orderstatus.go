// Package orderstatus is the one vocabulary of order states: the statuses,
// the set that reserves capacity and the set the volumes count. Each set
// is stated once here and once in SQL (migrations/00205_vocabulary.sql:
// order_status_reserves, order_status_committed, order_status_in_handling),
// which every query, guard and rollup calls; a test keeps the two equal.
package orderstatus

import "slices"

// The states of an order.
const (
	Draft              = "draft"
	PendingApproval    = "pending_approval"
	Sent               = "sent"
	Confirmed          = "confirmed"
	PartiallyDelivered = "partially_delivered"
	Delivered          = "delivered"
	Closed             = "closed"
	Rejected           = "rejected"
	Cancelled          = "cancelled"
)

// All lists every status in lifecycle order.
var All = []string{Draft, PendingApproval, Sent, Confirmed, PartiallyDelivered, Delivered, Closed, Rejected, Cancelled}

// reserving are the states in which an order holds its reservation of a
// tender's ceiling, its authority's allocation and its budget line: from
// submission until it is rejected or cancelled.
var reserving = []string{PendingApproval, Sent, Confirmed, PartiallyDelivered, Delivered, Closed}

// inHandling are the states of an order still being handled: the annual
// report's "orders in handling".
var inHandling = []string{PendingApproval, Sent, Confirmed, PartiallyDelivered}

// Reserves reports whether an order in status holds its reservation.
func Reserves(status string) bool { return slices.Contains(reserving, status) }

// Committed reports whether the volumes count an order in status: exactly
// the orders that reserve, so that every figure and every capacity agree.
func Committed(status string) bool { return Reserves(status) }

// InHandling reports whether an order in status is still being handled.
func InHandling(status string) bool { return slices.Contains(inHandling, status) }

// CommittedList is the committed states in lifecycle order.
func CommittedList() []string { return slices.Clone(reserving) }

// InHandlingList is the states in handling in lifecycle order.
func InHandlingList() []string { return slices.Clone(inHandling) }

// Valid reports whether status is a state of an order.
func Valid(status string) bool { return slices.Contains(All, status) }
