package auth

import (
	"testing"
	"time"
)

// TestHashesWaitForASlot: with every slot taken, a password hash waits,
// and goes on as soon as one is free; what it computes is unchanged.
func TestHashesWaitForASlot(t *testing.T) {
	held := 0
	t.Cleanup(func() { // a failed check leaves no slot taken for later tests
		for ; held > 0; held-- {
			<-argonSlots
		}
	})
	for range cap(argonSlots) {
		argonSlots <- struct{}{}
		held++
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
	held--
	h := <-done
	for ; held > 0; held-- {
		<-argonSlots
	}
	if !CheckPassword(h, "סיסמה ארוכה מספיק") || CheckPassword(h, "אחרת") {
		t.Fatal("the hash does not check as it should")
	}
}
