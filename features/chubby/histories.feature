Feature: Linearizable histories of a Chubby cell under random faults
  Chubby promises that clients see one order of operations: every read returns the latest
  acknowledged write, whatever fails meanwhile. Jepsen's way to check such a promise is to let
  several clients read, write and compare-and-set one register while a *nemesis* injects faults,
  record when each call was made and when (or whether) it was answered, and then search for one
  order of the operations, each taking effect between its call and its answer, that explains every
  read. If none exists the history is not linearizable. A call that got no answer may or may not
  have happened, and the checker allows for both.

  Each schedule comes from a seed, so a failing one can be replayed. On the embedded target the
  nemesis crashes and restarts replicas, partitions replicas and clients, and loses or duplicates
  messages in the simulated cell (virtual seconds). On the real target it kills (SIGKILL), pauses
  (SIGSTOP, then SIGCONT) and restarts members of a three-member etcd cluster while three clients
  call its gateway (wall-clock seconds). Many more schedules run in the tests: 1,000 short and 200
  long ones on the simulation, 20 on etcd under CI.

  Rule: Under random faults every history of reads, writes and compare-and-set is linearizable

    Scenario: Eight seeded fault schedules give linearizable histories
      When 8 seeded fault schedules run against a Chubby cell, from seed 1
      Then every recorded history is linearizable
