package auth

import (
	"testing"
	"time"
)

// TestHashesWaitForASlot: with every slot taken, a password hash waits,
// and goes on as soon as one is free; what it computes is unchanged.
func TestHashesWaitForASlot(t *testing.T) {
	for range cap(argonSlots) {
		argonSlots <- struct{}{}
	}
	done := make(chan string)
	go func() {
		h, err := HashPassword("סיסמה ארוכה מספיק")
		if err != nil {
			t.Error(err)
		}
		done <- h
	}()
	select {
	case <-done:
		t.Fatal("a hash was computed while every slot was taken")
	case <-time.After(200 * time.Millisecond):
	}
	<-argonSlots
	h := <-done
	for range cap(argonSlots) - 1 {
		<-argonSlots
	}
	if !CheckPassword(h, "סיסמה ארוכה מספיק") || CheckPassword(h, "אחרת") {
		t.Fatal("the hash does not check as it should")
	}
}
