module mydaemon

go 1.22
