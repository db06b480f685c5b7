module manyg

go 1.18
