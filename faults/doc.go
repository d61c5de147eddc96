// Package faults is the fault suite: against a PostgreSQL it starts in a
// temporary directory, it runs the service's real binary as a child
// process with clients creating, submitting, signing and confirming orders
// at full speed, while the service is killed, PostgreSQL is stopped or
// frozen and the SMTP server refuses and accepts; after each fault it
// checks that every acknowledged answer is in the database, nothing is
// duplicated or half-written and no mail went out twice, and prints the
// figures. It is a test behind the build tag "faults":
//
//	go test -tags faults ./faults/ -count=1 -v
package faults
