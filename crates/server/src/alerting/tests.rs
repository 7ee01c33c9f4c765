//! Table tests of the state machine: each case is a policy, a sequence of results (one a
//! minute) and the alerts expected after each, written `"-"` for none, `"ok>critical"` for a
//! change and `"~critical"` for a reminder.

use argos_checks::Severity::{self, Critical as C, Ok as O, Unknown as U, Warning as W};
use chrono::{DateTime, Duration, Utc};

use super::step::{AlertState, EventKind, Observation, Policy, step};

fn at(minute: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap() + Duration::minutes(minute)
}

fn policy(retry: u32, recovery: u32, reminder_minutes: Option<i64>) -> Policy {
    Policy {
        retry_before_notification: retry,
        recovery_threshold: recovery,
        reminder: reminder_minutes.map(Duration::minutes),
    }
}

fn show(e: Option<super::step::Event>) -> String {
    match e {
        None => "-".into(),
        Some(e) if e.kind == EventKind::Reminder => format!("~{}", e.severity),
        Some(e) => format!("{}>{}", e.previous, e.severity),
    }
}

/// Runs `results` (one a minute from minute 0; `in_maintenance[i]` holds alerts) and returns
/// what each step sent, plus the final state.
fn run_with(
    p: &Policy,
    start: AlertState,
    results: &[Severity],
    maintenance: &[bool],
) -> (Vec<String>, AlertState) {
    let mut state = start;
    let mut sent = Vec::new();
    for (i, &severity) in results.iter().enumerate() {
        let obs = Observation {
            severity,
            at: at(i as i64),
            in_maintenance: maintenance.get(i).copied().unwrap_or(false),
        };
        let (next, event) = step(state, obs, p);
        state = next;
        sent.push(show(event));
    }
    (sent, state)
}

fn run(p: &Policy, results: &[Severity]) -> Vec<String> {
    run_with(p, AlertState::default(), results, &[]).0
}

#[test]
fn thresholds_first_results_and_flapping() {
    let cases: &[(&str, Policy, &[Severity], &[&str])] = &[
        (
            "new task, first ok: silent",
            policy(0, 1, None),
            &[O, O],
            &["-", "-"],
        ),
        (
            "new task, first failure, R=0: alert at once",
            policy(0, 1, None),
            &[C],
            &["ok>critical"],
        ),
        (
            "R=0: every change alerts once",
            policy(0, 1, None),
            &[O, C, C, O, O],
            &["-", "ok>critical", "-", "critical>ok", "-"],
        ),
        (
            "R=1: second failure confirms",
            policy(1, 1, None),
            &[O, C, C, C],
            &["-", "-", "ok>critical", "-"],
        ),
        (
            "R=2: third failure confirms",
            policy(2, 1, None),
            &[C, C, C, C],
            &["-", "-", "ok>critical", "-"],
        ),
        (
            "R=1: fail, ok, fail sends nothing",
            policy(1, 1, None),
            &[O, C, O, C, O],
            &["-", "-", "-", "-", "-"],
        ),
        (
            "R=1: the latest severity of the streak wins",
            policy(1, 1, None),
            &[O, W, C],
            &["-", "-", "ok>critical"],
        ),
        (
            "R=1: no duplicate after a first failure",
            policy(1, 1, None),
            &[C, C, C, C],
            &["-", "ok>critical", "-", "-"],
        ),
        (
            "R=1: unknown is not ok",
            policy(1, 1, None),
            &[O, U, U],
            &["-", "-", "ok>unknown"],
        ),
        (
            "flapping below the threshold never alerts",
            policy(2, 1, None),
            &[C, C, O, C, C, O, C],
            &["-"; 7],
        ),
    ];
    for (name, p, results, want) in cases {
        assert_eq!(run(p, results), *want, "{name}");
    }
}

#[test]
fn changes_between_non_ok_severities_are_confirmed_the_same_way() {
    let cases: &[(&str, Policy, &[Severity], &[&str])] = &[
        (
            "R=0: warning then critical",
            policy(0, 1, None),
            &[W, C],
            &["ok>warning", "warning>critical"],
        ),
        (
            "R=1: one critical among warnings is not a change",
            policy(1, 1, None),
            &[W, W, C, W, W],
            &["-", "ok>warning", "-", "-", "-"],
        ),
        (
            "R=1: two criticals confirm the change, once",
            policy(1, 1, None),
            &[W, W, C, C, C],
            &["-", "ok>warning", "-", "warning>critical", "-"],
        ),
        (
            "R=1: back down to warning",
            policy(1, 1, None),
            &[C, C, W, W],
            &["-", "ok>critical", "-", "critical>warning"],
        ),
    ];
    for (name, p, results, want) in cases {
        assert_eq!(run(p, results), *want, "{name}");
    }
}

#[test]
fn recovery_once_and_only_after_an_alert() {
    let cases: &[(&str, Policy, &[Severity], &[&str])] = &[
        (
            "one recovery for an alerted failure",
            policy(1, 1, None),
            &[C, C, O, O],
            &["-", "ok>critical", "critical>ok", "-"],
        ),
        (
            "no recovery for a failure never alerted",
            policy(1, 1, None),
            &[C, O, O],
            &["-", "-", "-"],
        ),
        (
            "recovery threshold 2",
            policy(0, 2, None),
            &[C, O, O, O],
            &["ok>critical", "-", "critical>ok", "-"],
        ),
        (
            "recovery threshold 2, interrupted",
            policy(0, 2, None),
            &[C, O, C, O, O],
            &["ok>critical", "-", "-", "-", "critical>ok"],
        ),
        (
            "a recovery streak broken by another severity",
            policy(0, 3, None),
            &[C, O, O, W, O, O, O],
            &[
                "ok>critical",
                "-",
                "-",
                "critical>warning",
                "-",
                "-",
                "warning>ok",
            ],
        ),
    ];
    for (name, p, results, want) in cases {
        assert_eq!(run(p, results), *want, "{name}");
    }
}

#[test]
fn reminders_while_not_ok() {
    let p = policy(0, 1, Some(3));
    let results = [C, C, C, C, C, C, C, O, O, O, O];
    let want = [
        "ok>critical",
        "-",
        "-",
        "~critical",
        "-",
        "-",
        "~critical",
        "critical>ok",
        "-",
        "-",
        "-",
    ];
    assert_eq!(run(&p, &results), want);
    // No reminder without the key, nor for ok.
    assert_eq!(run(&policy(0, 1, None), &[C, C, C, C, C])[1..], ["-"; 4]);
}

#[test]
fn maintenance_holds_alerts_and_reports_only_a_net_change() {
    let p = policy(0, 1, Some(2));
    // Down and back up inside the window: nothing, before or after.
    let (sent, _) = run_with(
        &p,
        AlertState::default(),
        &[O, C, C, O, O],
        &[false, true, true, true, false],
    );
    assert_eq!(sent, ["-", "-", "-", "-", "-"]);
    // Down during the window and still down after it: one alert, at the first result after.
    let (sent, _) = run_with(
        &p,
        AlertState::default(),
        &[O, C, C, C, C],
        &[false, true, true, false, false],
    );
    assert_eq!(sent, ["-", "-", "-", "ok>critical", "-"]);
    // Alerted before the window, recovered inside it: one recovery after it.
    let (sent, _) = run_with(
        &p,
        AlertState::default(),
        &[C, O, O, O],
        &[false, true, true, false],
    );
    assert_eq!(sent, ["ok>critical", "-", "-", "critical>ok"]);
    // Alerted before, still down after: no change to report, and no reminder during it.
    let (sent, _) = run_with(
        &p,
        AlertState::default(),
        &[C, C, C, C, C, C],
        &[false, true, true, true, false, false],
    );
    assert_eq!(sent, ["ok>critical", "-", "-", "-", "~critical", "-"]);
}

#[test]
fn a_restart_resumes_from_the_stored_state() {
    let p = policy(2, 1, None);
    let (sent, state) = run_with(&p, AlertState::default(), &[O, C, C], &[]);
    assert_eq!(sent, ["-", "-", "-"]);
    // Stored as JSON with the task, read back by another process.
    let text = serde_json::to_string(&state).unwrap();
    let reloaded: AlertState = serde_json::from_str(&text).unwrap();
    assert_eq!(reloaded, state);
    assert!(reloaded.is_pending());
    let (sent, state) = run_with(&p, reloaded, &[C, O], &[]);
    assert_eq!(sent, ["ok>critical", "critical>ok"]);
    assert!(!state.is_pending());
    // A state written by an older version (only the two severities) still reads.
    let old: AlertState =
        serde_json::from_str(r#"{"confirmed":"critical","notified":"critical"}"#).unwrap();
    assert_eq!((old.streak, old.candidate), (0, None));
}

#[test]
fn events_carry_since_when_the_severity_holds() {
    let p = policy(1, 1, None);
    let mut state = AlertState::default();
    let mut events = Vec::new();
    for (i, s) in [C, C, C].into_iter().enumerate() {
        let obs = Observation {
            severity: s,
            at: at(i as i64 * 10),
            in_maintenance: false,
        };
        let (next, e) = step(state, obs, &p);
        state = next;
        events.extend(e);
    }
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].since, at(10), "confirmed by the second result");
    assert_eq!(state.notified_at, Some(at(10)));
}
