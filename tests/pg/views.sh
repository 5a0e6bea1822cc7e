#!/bin/bash
# Every dashboard view against expectations worked out by hand for the scenario of lib.sh
# (load_scenario), "as of" Monday 4 May 2026, 12:00 IST (PGOPTIONS pins pravah.asof). The
# journal is applied in one batch here; tests/pg/apply.sh shows any batching gives the same
# tables.
# ctest-timeout: 60
. "$(dirname "$0")/lib.sh"
start_pg
migrate
install_journal
load_scenario
expect "the scenario applies: 93 records, no findings" \
    "SELECT t.feed(1, 1000), (SELECT count(*) FROM pravah.integrity_findings)" "93|0"

expect "asof() is pinned by the setting; today() is its local date" \
    "SELECT pravah.asof() = '2026-05-04 12:00+05:30', pravah.today()" "t|2026-05-04"
expect "asof() is now() when not set, the newest record with 'journal'" \
    "SELECT (SELECT pravah.asof() = now() FROM (SELECT set_config('pravah.asof', '', true)) x),
            (SELECT pravah.asof() FROM (SELECT set_config('pravah.asof', 'journal', true)) x)
                = '2026-05-04 10:00+05:30'" "t|t"

# ---- works by ULB and stage -------------------------------------------------------------------
# BRR (committee, Ambala): 000001 (estimate due 22 Apr: 12 days late) and 000003 (due 30 Apr:
# 4 days late) await AA: 2 works, Rs 10 lakh estimated, nothing sanctioned, 2 delayed, 8.0 days
# on average; 000002 was rejected. GGN (corporation): 000002 awaits FS (due 5 May: on time),
# 000001 awaits TS (due 30 Apr: 4 days late), 000003 is in execution (planned completion
# 25 Apr: 9 days late). Sanctioned value = AA amounts.
expect "works_by_ulb_stage" \
    "SELECT ulb, ulb_name, ulb_kind, district, stage, stage_order, works, estimate_value,
            sanctioned_value, delayed, avg_delay_days
       FROM pravah.works_by_ulb_stage ORDER BY ulb, stage_order" \
    "ULB-BRR|Municipal Committee Barara|committee|AMB|aa_pending|1|2|1000000|0|2|8.0
ULB-BRR|Municipal Committee Barara|committee|AMB|rejected|8|1|300000|0|0|
ULB-GGN|Municipal Corporation Gurugram|corporation|GGN|fs_pending|2|1|1500000|1500000|0|
ULB-GGN|Municipal Corporation Gurugram|corporation|GGN|ts_pending|3|1|4000000|4000000|1|4.0
ULB-GGN|Municipal Corporation Gurugram|corporation|GGN|execution|5|1|2000000|2000000|1|9.0"

# Most delayed: BRR/000001 (12 days, with the Ambala district XEN), GGN/000003 (9 days, with
# the Gurugram XEN since the last payment on 15 Apr, escalated to the CE at level 2), then the
# two 4-day delays by deadline and case id.
expect "works_most_delayed" \
    "SELECT rank, case_id, name, state, pending_with_post, pending_with_role, officer_name,
            to_char(pending_since AT TIME ZONE 'Asia/Kolkata', 'YYYY-MM-DD HH24:MI'), delay_days,
            coalesce(escalated_to, '-'), coalesce(escalation_level::text, '-')
       FROM pravah.works_most_delayed ORDER BY rank" \
    "1|WMS/ULB-BRR/2026/000001|Street lights D|estimate_submitted|DIST-AMB-XEN|XEN|Sunil Rao|2026-04-01 10:00|12|-|-
2|WMS/ULB-GGN/2026/000003|Park C|in_execution|GGN-MC-XEN|XEN|Anil Yadav|2026-04-15 10:00|9|DULB-CE|2
3|WMS/ULB-BRR/2026/000003|Footpath F|estimate_submitted|DIST-AMB-XEN|XEN|Sunil Rao|2026-04-10 10:00|4|-|-
4|WMS/ULB-GGN/2026/000001|Road A|fs_granted|GGN-MC-XEN|XEN|Anil Yadav|2026-04-09 11:00|4|ZONE-4-SE|1"

expect "works row of the work in execution" \
    "SELECT contractor, contract_amount, planned_completion, measured_qty, mb_entries,
            billed_amount, paid_amount, stage, scheme
       FROM pravah.works WHERE case_id = 'WMS/ULB-GGN/2026/000003'" \
    "Shree Ram Builders|1950000|2026-04-25|150.5|2|500000|500000|execution|Municipal Fund"

# ---- e-Office -----------------------------------------------------------------------------------
# Days on the desk on 4 May: DA-1 has 000001 (since 1 May: 3) and 000007 (today: 0), and
# 000005 parked; DA-2 has 000008 (pulled back 23 Apr: 11) and 000004 (13 Apr: 21); the
# Superintendent 000002 (20 Apr: 14); the CTM 000003 (1 Apr: 33). 000006 is closed.
expect "eoffice_pendency" \
    "SELECT office, office_name, district, desk, officer_name, age_0_7, age_8_15, age_16_30,
            age_over_30, pending, parked, oldest_days
       FROM pravah.eoffice_pendency ORDER BY desk" \
    "DIST-GGN|District Administration Gurugram|GGN|DIST-GGN-CTM|Satish Kundu|0|0|0|1|1|0|33
DIST-GGN|District Administration Gurugram|GGN|DIST-GGN-DEALING_ASSISTANT-1|Mahender Punia|2|0|0|0|2|1|3
DIST-GGN|District Administration Gurugram|GGN|DIST-GGN-DEALING_ASSISTANT-2|Rajbir Ahlawat|0|1|1|0|2|0|21
DIST-GGN|District Administration Gurugram|GGN|DIST-GGN-SUPERINTENDENT|Virender Goyal|0|1|0|0|1|0|14"

# Created: DA-1 on 20 Mar (W12), 10 Apr (W15), 27 Apr x2 and 1 May (W18), 4 May (W19); DA-2 on
# 13 Apr (W16) and 20 Apr (W17). Disposed: DA-1 closed 000006 on 29 Apr (W18).
expect "eoffice_throughput" \
    "SELECT iso_week, week_start, officer_id, officer_name, created, disposed
       FROM pravah.eoffice_throughput ORDER BY iso_week, officer_id" \
    "2026-W12|2026-03-16|EMP-100019|Mahender Punia|1|0
2026-W15|2026-04-06|EMP-100019|Mahender Punia|1|0
2026-W16|2026-04-13|EMP-100020|Rajbir Ahlawat|1|0
2026-W17|2026-04-20|EMP-100020|Rajbir Ahlawat|1|0
2026-W18|2026-04-27|EMP-100019|Mahender Punia|3|1
2026-W19|2026-05-04|EMP-100019|Mahender Punia|1|0"

# ---- grievances ---------------------------------------------------------------------------------
# The DC's post (held since 15 Apr by EMP-100014, transferred from ADC) has 000003 open (due
# 11 May), disposed 000001 (resolved after 10.0 days, rated 2: appealed) and 000004 (rejected
# after 2.0 days, rated 4): 6.0 days on average, 1 appeal. The FAA holds 000001 (appeal, due
# 25 May) and 000002 (auto-appealed at its breach on 27 Apr: past its 26 Apr due date). The
# SDM-1 lost 000002 to the auto-appeal.
expect "grievances_by_officer" \
    "SELECT post, role, officer_id, officer_name, open, breached, disposed,
            coalesce(avg_days_to_dispose::text, '-'), appeals, auto_appeals
       FROM pravah.grievances_by_officer ORDER BY post" \
    "DIST-GGN-DC|DC|EMP-100014|Jagdish Bhardwaj|1|0|2|6.0|1|0
DIST-GGN-FAA|FAA|EMP-100022|Krishan Chahal|2|1|0|-|0|0
DIST-GGN-SDM-1|SDM|EMP-100016|Ravinder Kataria|0|0|0|-|0|1"

# ---- appointments -------------------------------------------------------------------------------
# DC, 4 May: 000005 held. DC, 6 May: 000001 confirmed, 000002 allotted, 000003 rescheduled
# there from 5 May (allotted), 000004 cancelled (not counted among appointments). CTM, 6 May:
# 000006 allotted. The ADC's post is vacant since the transfer.
expect "appointments_per_officer_day" \
    "SELECT officer_post, officer_name, slot_date, appointments, allotted, confirmed, held,
            no_show, cancelled
       FROM pravah.appointments_per_officer_day ORDER BY officer_post, slot_date" \
    "DIST-GGN-CTM|Satish Kundu|2026-05-06|1|1|0|0|0|0
DIST-GGN-DC|Jagdish Bhardwaj|2026-05-04|1|0|0|1|0|0
DIST-GGN-DC|Jagdish Bhardwaj|2026-05-06|3|2|1|0|0|1"
expect "post_holders after the hrms transfer" \
    "SELECT post_id, coalesce(officer_id, 'vacant') FROM pravah.post_holders
      WHERE post_id IN ('DIST-GGN-ADC', 'DIST-GGN-DC') ORDER BY 1" \
    "DIST-GGN-ADC|vacant
DIST-GGN-DC|EMP-100014"

# ---- litigation ---------------------------------------------------------------------------------
# Replies due 30 Apr (000002: overdue by 4 days), 4 May (000006: today, due), 8 May (000001);
# 000003's reply (15 May) is beyond 7 days. Compliances: 000005 extended to 3 May (overdue by
# 1 day), 000004 due 11 May (today + 7: included).
expect "litigation_due" \
    "SELECT case_id, case_number, due_kind, due_date, days_left, status, with_post, officer_name
       FROM pravah.litigation_due ORDER BY due_date, case_id" \
    "LIT/ULB/2026/000002|CWP-1002-2026|reply|2026-04-30|-4|overdue|ULB-DEPT-LIT_NODAL|Pardeep Verma
LIT/ULB/2026/000005|CWP-1005-2026|compliance|2026-05-03|-1|overdue|ULB-DEPT-LIT_NODAL|Pardeep Verma
LIT/ULB/2026/000006|CWP-1006-2026|reply|2026-05-04|0|due_in_7_days|ULB-DEPT-LIT_NODAL|Pardeep Verma
LIT/ULB/2026/000001|CWP-1001-2026|reply|2026-05-08|4|due_in_7_days|ULB-DEPT-LIT_NODAL|Pardeep Verma
LIT/ULB/2026/000004|CWP-1004-2026|compliance|2026-05-11|7|due_in_7_days|ULB-DEPT-LIT_NODAL|Pardeep Verma"

# ---- generic views ------------------------------------------------------------------------------
# File 000008: DA-2 from 20 Apr 10:00 to 22 Apr 10:00 (2 days), the Superintendent for a day,
# back with DA-2 since 23 Apr 10:00 (11 days 2 hours to 4 May noon).
expect "case_levels: time spent at each level" \
    "SELECT seq, state, assignee, days FROM pravah.case_levels
      WHERE case_id = 'DC-GGN/GEN/2026/000008' ORDER BY seq" \
    "1|on_desk|DIST-GGN-DEALING_ASSISTANT-2|2.00
2|on_desk|DIST-GGN-SUPERINTENDENT|1.00
3|on_desk|DIST-GGN-DEALING_ASSISTANT-2|11.08"
expect "case_status: desk, holder, days pending, delay" \
    "SELECT state, assignee, officer_name, days_pending, overdue, delay_days, closed
       FROM pravah.case_status WHERE case_id IN ('WMS/ULB-GGN/2026/000003', 'DC-GGN/GEN/2026/000006')
      ORDER BY case_id" \
    "closed||||f|0|t
in_execution|GGN-MC-XEN|Anil Yadav|19|t|9|f"
# Open: GGN/000001's reminder and breach, GGN/000003's breach and escalation, file 000003's
# breach, grievance 000002's breach, LIT/000002's breach. GGN/000002's breach closed when AA
# was granted (the state changed).
expect "alerts: open ones, and the one closed by a change of state" \
    "SELECT (SELECT string_agg(case_id || ':' || kind || ':' || level, ' ' ORDER BY case_id, seq)
               FROM pravah.alerts_open),
            (SELECT closed_at = '2026-04-24 10:00+05:30' FROM pravah.alerts
              WHERE case_id = 'WMS/ULB-GGN/2026/000002')" \
    "CMW/2026/000002:sla.breached:1 DC-GGN/GEN/2026/000003:sla.breached:1 LIT/ULB/2026/000002:sla.breached:1 WMS/ULB-GGN/2026/000001:sla.reminder:1 WMS/ULB-GGN/2026/000001:sla.breached:1 WMS/ULB-GGN/2026/000003:sla.breached:1 WMS/ULB-GGN/2026/000003:sla.escalated:2|t"
