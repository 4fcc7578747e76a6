package deploy

import "testing"

func TestCronExpressionsFollowFCTimerSyntax(t *testing.T) {
	tests := []struct {
		expr string
		ok   bool
	}{
		{"0 0 4 * * *", true},
		{"0 */5 * * * *", true},
		{"0 0 8 * * ?", true},
		{"0 30 9 ? * MON-FRI", true},
		{"0 0 0 1,15 jan,jul *", true},
		{"CRON_TZ=Asia/Shanghai 0 0 4 1 * *", true},
		{"@every 1m", true},
		{"@every 1h30m", true},
		{"0 0 4 * *", false},            // five fields: seconds come first
		{"0 0 4 * * * *", false},        // seven
		{"60 0 4 * * *", false},         // second 60
		{"0 0 24 * * *", false},         // hour 24
		{"0 0 0 0 * *", false},          // day 0
		{"0 0 0 * 13 *", false},         // month 13
		{"0 0 0 * * 7", false},          // day of week 0..6
		{"0 0 5-4 * * *", false},        // backwards range
		{"0 */0 * * * *", false},        // step 0
		{"? 0 0 * * *", false},          // ? stands only for a day
		{"0 0 0 L * *", false},          // L is not in the syntax
		{"@every 30s", false},           // finer than a minute
		{"@every often", false},         // not a duration
		{"@daily", false},               // not documented
		{"CRON_TZ= 0 0 4 * * *", false}, // no zone
		{"CRON_TZ=Nowhere 0 0 4 * * *", false},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			err := checkCron(tt.expr)
			if (err == nil) != tt.ok {
				t.Errorf("checkCron(%q) = %v, want ok=%v", tt.expr, err, tt.ok)
			}
		})
	}
}
