package grade

import "testing"

const lab08 = "reference/labs/08/"

var lab08ref = reference(lab08, "mytask.c", "mytask.service", "mytask.timer", "crontab")

func TestLab08Matrix(t *testing.T) {
	requireEngine(t)
	runMatrix(t, "08", []mutation{
		{"C reference", lab08ref, nil},
		{"Python reference", lab08ref.port("mytask.c", map[string]string{"mytask.py": lab08 + "mytask.py"}), nil},
		{"typo in the timer", lab08ref.with(map[string]string{"mytask.timer": lab08 + "broken/typo.timer"}, nil), []string{"unit-syntax"}},
		{"OnCalendar=daily", lab08ref.with(map[string]string{"mytask.timer": lab08 + "broken/daily.timer"}, nil), []string{"timer"}},
		{"no Persistent=", lab08ref.with(map[string]string{"mytask.timer": lab08 + "broken/not-persistent.timer"}, nil), []string{"timer"}},
		{"RemainAfterExit=yes", lab08ref.with(map[string]string{"mytask.service": lab08 + "broken/remain.service"}, nil), []string{"oneshot-run"}},
		{"15:15 instead of 03:15", lab08ref.with(map[string]string{"crontab": lab08 + "broken/afternoon.crontab"}, nil), []string{"crontab"}},
		// cron ignores a whole crontab with one bad line: @reboot too
		{"four time fields", lab08ref.with(map[string]string{"crontab": lab08 + "broken/four-fields.crontab"}, nil), []string{"crontab", "cron-reboot"}},
		{"no @reboot line", lab08ref.with(map[string]string{"crontab": lab08 + "broken/no-reboot.crontab"}, nil), []string{"cron-reboot"}},
	})
}
