module proxyroute.test/differential

go 1.19
