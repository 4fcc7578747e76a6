module iprodwatch

go 1.26.0
