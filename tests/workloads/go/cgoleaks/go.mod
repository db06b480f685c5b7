module cgoleaks

go 1.19
