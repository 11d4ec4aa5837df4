package p

x := 1 / 0
