module iprodwatch

go 1.26.0

require (
	github.com/aliyun/alibaba-cloud-sdk-go v1.63.107 // indirect
	github.com/google/go-cmp v0.7.0 // indirect
)
