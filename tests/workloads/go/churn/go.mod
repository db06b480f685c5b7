module churn

go 1.18
