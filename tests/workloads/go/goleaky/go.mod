module goleaky

go 1.18
