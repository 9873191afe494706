//! Who answers a conversation: the AI (`ai`), nobody yet because a human was asked for
//! (`handoff_requested`), or a human (`human`). Every change of mode is decided here, in
//! pure code; the store applies the decision inside the transaction that holds the row, so
//! concurrent commands are decided one after the other on the row as it then is.

use super::conversation::{Mode, Refusal};
use crate::domain::event_kind::EventKind;

/// A request to change who answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command<'a> {
    /// Ask for a human: the contact, the AI, a rule or the API.
    RequestHuman,
    /// A human takes over: `member` (if known) becomes the one handling it; `force` takes
    /// it from another member.
    StartHuman { member: Option<&'a str>, force: bool },
    /// Back to the AI, which needs an AI agent that can answer.
    StopHuman { ai_available: bool },
}

/// Where a conversation stands: its mode and the member handling it, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Control<'a> {
    pub mode: Mode,
    pub member: Option<&'a str>,
}

/// A change of mode and the event that records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub to: Mode,
    pub event: EventKind,
}

/// `Ok(None)`: the conversation already is where the command leads (nothing to record).
pub fn decide(control: Control<'_>, command: Command<'_>) -> Result<Option<Transition>, Refusal> {
    use Mode::*;
    let to = |to, event| Ok(Some(Transition { to, event }));
    match (control.mode, command) {
        (Ai, Command::RequestHuman) => to(HandoffRequested, EventKind::HandoffRequested),
        (HandoffRequested, Command::RequestHuman) => Ok(None),
        (Human, Command::RequestHuman) => Err(Refusal::InHumanMode),

        (Ai | HandoffRequested, Command::StartHuman { .. }) => to(Human, EventKind::HandoffStarted),
        (Human, Command::StartHuman { member, .. }) if member == control.member => Ok(None),
        (Human, Command::StartHuman { force: true, .. }) => to(Human, EventKind::HandoffStarted),
        (Human, Command::StartHuman { force: false, .. }) => Err(Refusal::AlreadyTaken),

        (Ai, Command::StopHuman { .. }) => Ok(None),
        (HandoffRequested | Human, Command::StopHuman { ai_available: false }) => Err(Refusal::NoAiAgent),
        (HandoffRequested | Human, Command::StopHuman { ai_available: true }) => {
            to(Ai, EventKind::HandoffCompleted)
        }
    }
}

/// The member handling the conversation after `transition` (started by `member`).
pub fn member_after<'a>(
    control: Control<'a>,
    command: Command<'a>,
    transition: Transition,
) -> Option<&'a str> {
    match (transition.to, command) {
        (Mode::Human, Command::StartHuman { member, .. }) => member,
        (Mode::Human, _) => control.member,
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEMBERS: [Option<&str>; 3] = [None, Some("mem_a"), Some("mem_b")];

    fn commands() -> Vec<Command<'static>> {
        let mut all = vec![Command::RequestHuman];
        for member in MEMBERS {
            for force in [false, true] {
                all.push(Command::StartHuman { member, force });
            }
        }
        all.extend([Command::StopHuman { ai_available: true }, Command::StopHuman { ai_available: false }]);
        all
    }

    /// The states a conversation can be in: only `human` has a member.
    fn controls() -> Vec<Control<'static>> {
        let mut all = vec![
            Control { mode: Mode::Ai, member: None },
            Control { mode: Mode::HandoffRequested, member: None },
        ];
        all.extend(MEMBERS.map(|member| Control { mode: Mode::Human, member }));
        all
    }

    /// Applies a command as the store does; refusals leave the state as it was.
    fn step(
        control: Control<'static>,
        command: Command<'static>,
    ) -> (Control<'static>, Result<bool, Refusal>) {
        match decide(control, command) {
            Ok(Some(t)) => (Control { mode: t.to, member: member_after(control, command, t) }, Ok(true)),
            Ok(None) => (control, Ok(false)),
            Err(refusal) => (control, Err(refusal)),
        }
    }

    #[test]
    fn the_transition_table() {
        use Mode::*;
        let ai = Control { mode: Ai, member: None };
        let asked = Control { mode: HandoffRequested, member: None };
        let with_a = Control { mode: Human, member: Some("mem_a") };
        let start = |member, force| Command::StartHuman { member, force };
        let event = |control, command| decide(control, command).map(|t| t.map(|t| (t.to, t.event)));

        assert_eq!(
            event(ai, Command::RequestHuman),
            Ok(Some((HandoffRequested, EventKind::HandoffRequested)))
        );
        assert_eq!(event(asked, Command::RequestHuman), Ok(None));
        assert_eq!(event(with_a, Command::RequestHuman), Err(Refusal::InHumanMode));
        for from in [ai, asked] {
            assert_eq!(
                event(from, start(Some("mem_a"), false)),
                Ok(Some((Human, EventKind::HandoffStarted)))
            );
        }
        assert_eq!(event(with_a, start(Some("mem_a"), false)), Ok(None));
        assert_eq!(event(with_a, start(Some("mem_b"), false)), Err(Refusal::AlreadyTaken));
        assert_eq!(event(with_a, start(Some("mem_b"), true)), Ok(Some((Human, EventKind::HandoffStarted))));
        for from in [asked, with_a] {
            assert_eq!(
                event(from, Command::StopHuman { ai_available: true }),
                Ok(Some((Ai, EventKind::HandoffCompleted)))
            );
            assert_eq!(event(from, Command::StopHuman { ai_available: false }), Err(Refusal::NoAiAgent));
        }
        assert_eq!(event(ai, Command::StopHuman { ai_available: false }), Ok(None));
    }

    /// Properties over every state and command: a move always records its event, a member
    /// is set exactly in `human`, and the one who started holds it.
    #[test]
    fn every_move_is_recorded_and_only_human_mode_has_a_member() {
        for control in controls() {
            for command in commands() {
                let (after, outcome) = step(control, command);
                match outcome {
                    Ok(true) => assert!(decide(control, command).unwrap().is_some()),
                    Ok(false) | Err(_) => assert_eq!(after, control, "{control:?} {command:?}"),
                }
                assert!(after.member.is_none() || after.mode == Mode::Human, "{after:?}");
                if let (Ok(_), Command::StartHuman { member, .. }) = (outcome, command) {
                    assert_eq!((after.mode, after.member), (Mode::Human, member), "{control:?} {command:?}");
                }
            }
        }
    }

    /// Over every sequence of up to four commands from `ai`: once a member holds the
    /// conversation, another member gets it only with `force`, and it goes back to the AI
    /// only when an AI agent can answer.
    #[test]
    fn a_held_conversation_is_only_taken_by_force_or_released_to_an_available_ai() {
        let all = commands();
        let mut sequences: Vec<Vec<Command<'static>>> = vec![vec![]];
        for _ in 0..4 {
            sequences = sequences
                .iter()
                .flat_map(|seq| all.iter().map(move |c| [seq.clone(), vec![*c]].concat()))
                .collect();
            for sequence in &sequences {
                let mut control = Control { mode: Mode::Ai, member: None };
                for &command in sequence {
                    let before = control;
                    let (after, outcome) = step(control, command);
                    if before.mode == Mode::Human && after.member != before.member {
                        assert!(matches!(
                            command,
                            Command::StartHuman { force: true, .. } | Command::StopHuman { .. }
                        ));
                    }
                    if after.mode == Mode::Ai && before.mode != Mode::Ai {
                        assert_eq!(command, Command::StopHuman { ai_available: true });
                    }
                    if outcome.is_err() {
                        assert_eq!(after, before);
                    }
                    control = after;
                }
            }
        }
    }
}
