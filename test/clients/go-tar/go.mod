module wharf.test/clients/go-tar

go 1.22
