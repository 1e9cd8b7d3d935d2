module myservice

go 1.22
