// Package deploy holds no code: its tests check the project's s.yaml (Serverless Devs 3.x, fc3
// component) before anyone runs `s deploy`. They parse ../../s.yaml, substitute ${vars.x} and
// ${config('AccountID')} as Serverless Devs does, then check the function's props and each
// trigger's config against what fc3 and Function Compute accept (fields, enums and ranges written
// down in the project's reference notes, not fc3's schema file), and against rules of our own that
// are stricter: the environment is exactly the IPRODWATCH_* variables the function reads and loads
// with handler.LoadConfig; reserved concurrency times IPRODWATCH_QPS stays under
// handler.QueryQuota; errors are never tolerated without a dead-letter queue; exactly one of the
// queue trigger and the pull-mode timer is enabled; the topic trigger never listens to the event
// topic; the EventBridge trigger is the only one and comes last (fc3 deploys nothing after an
// unchanged one); no account id is written into the file (the access decides it). A table of
// broken copies of the file shows that each check can fail.
//
// Simplified compared with Serverless Devs: only ${vars.NAME} (dotted paths allowed), with string
// values, and ${config('AccountID')}, the account of the access (a test account), are substituted;
// config() of the access's secrets, env(), file() and references to other resources are refused,
// so a new form in s.yaml fails here until the tests learn it.
package deploy
