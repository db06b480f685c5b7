module httpleak

go 1.19
