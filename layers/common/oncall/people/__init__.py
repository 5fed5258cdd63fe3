"""Users, teams and who is on call: schedules, rotations, on-call shifts, shift swaps and iCal feeds."""
