Feature: Master election in a Chubby cell
  Chubby (Burrows, "The Chubby lock service for loosely-coupled distributed systems", OSDI 2006)
  is a lock service and small-file store for coarse-grained coordination. A Chubby *cell* is a
  few replicas, typically five, that elect one *master* through Paxos. Clients talk only to the
  master; every write is replicated and acknowledged only after a majority accepted it.

  Key properties shown here:
  - the master holds a *master lease*: the replicas promise not to elect anyone else while it runs,
    so a new master is elected only after the old master's lease can have run out;
  - a cell of 2f+1 replicas keeps working with f replicas failed, and stops (with a clear error to
    clients) when a majority is gone;
  - a write is acknowledged only once a majority has accepted it, so it survives the loss of any
    minority, and replicas keep their log on disk across a crash;
  - no split brain: a master cut off from the majority stops serving when its lease ends, before
    another master can be elected.

  The embedded target is a deterministic simulation (virtual seconds, seeded randomness) of a cell
  running Multi-Paxos: the master lease is 6 s, heartbeats every second, so a failover takes about
  6 to 9 virtual seconds. On the real target the cell is an etcd cluster on loopback: the master is
  the Raft leader and the epoch is the Raft term; times there are wall-clock seconds.

  Rule: A majority elects a new master when the master fails

    Scenario Outline: A cell of <replicas> replicas survives the loss of its master
      Given a Chubby cell of <replicas> replicas
      When the Chubby master fails
      Then the Chubby cell elects a new master within <bound> seconds
      And the new Chubby master's epoch is greater than the old one
      And the Chubby timeline is shown

      Examples:
        | replicas | bound |
        | 3        | 12    |
        | 5        | 12    |
        | 7        | 12    |

  Rule: Only the master's failure calls for an election; a replica that returns catches up

    Scenario: A named replica that is not the master fails; the master keeps serving
      Given a Chubby cell of 5 replicas with Replica2 as master
      When the Chubby replica Replica4 fails
      And the Chubby cell runs for 20 seconds
      Then the Chubby master is still Replica2

    Scenario: Whichever replica is not the master fails; nothing changes for the cell
      Given a Chubby cell of 3 replicas
      When a Chubby replica that is not the master fails
      And the Chubby cell runs for 5 seconds
      Then the Chubby master has not changed

    Scenario: The named master fails; another replica is master now
      Given a Chubby cell of 5 replicas with Replica2 as master
      When the Chubby replica Replica2 fails
      Then the Chubby cell elects a new master within 12 seconds
      And the Chubby master is no longer Replica2

    Scenario: A failed replica rejoins the cell and catches up with the master
      Given a Chubby cell of 5 replicas
      And a Chubby replica that is not the master fails
      When the failed Chubby replicas restart
      Then every failed Chubby replica has caught up with the master within 10 seconds

    Scenario: A follower that fails and restarts changes nothing for the master
      Given a Chubby cell of 3 replicas with Replica1 as master
      When a Chubby follower fails
      And the Chubby replica Replica2 restarts
      Then the Chubby replica Replica2 has caught up with the master within 10 seconds
      And the Chubby master is Replica1

    Scenario: A named replica rejoins after missing writes and catches up
      Given a Chubby cell of 5 replicas with Replica2 as master
      And the Chubby client Writer has an open session
      And the Chubby replica Replica5 fails
      And the Chubby client Writer has written "replicas=7" to /ls/local/config/service
      When the Chubby replica Replica5 rejoins the cell
      Then the Chubby replica Replica5 has caught up with the master within 10 seconds

  Rule: The master lease sets the failover time: a longer lease, a longer wait for a new master

    @target.embedded
    Scenario Outline: A cell described with a master lease of <lease> seconds fails over after it
      Embedded only: etcd has no master lease to set; its leader steps down after one election timeout (0.5 s here), so the wait for a new master cannot be described in lease seconds.
      Given a Chubby cell described as:
        | setting      | value   |
        | replicas     | 3       |
        | master lease | <lease> |
      When the Chubby master fails
      Then no Chubby master is elected within <quiet> seconds
      And the Chubby cell elects a new master within <bound> seconds

      Examples:
        | lease | quiet | bound |
        | 6     | 4     | 12    |
        | 12    | 10    | 20    |

  Rule: A cell of 2f+1 replicas tolerates f failed replicas, not more

    Scenario Outline: A cell of <replicas> replicas with <failed> failed replicas still elects a master
      Given a Chubby cell of <replicas> replicas
      When <failed> Chubby replicas fail, the master among them
      Then the Chubby cell elects a new master within <bound> seconds

      Examples:
        | replicas | failed | bound |
        | 3        | 1      | 12    |
        | 5        | 2      | 12    |
        | 7        | 3      | 12    |

    Scenario: With three of five replicas down no master is elected and calls fail clearly
      Given a Chubby cell of 5 replicas
      And the Chubby client WebServer1 has an open session
      When 3 Chubby replicas fail, the master among them
      Then no Chubby master is elected within 20 seconds
      And a call by the Chubby client WebServer1 fails saying "no master answered"

    Scenario: When failed replicas return, the cell elects a master again
      Given a Chubby cell of 5 replicas
      When 3 Chubby replicas fail, the master among them
      And the failed Chubby replicas restart
      Then the Chubby cell elects a new master within 20 seconds
      And the Chubby timeline is shown

  Rule: A write acknowledged by a majority survives failures and restarts

    Scenario: A write survives the loss of the master and a minority
      Given a Chubby cell of 5 replicas
      And the Chubby client Writer has an open session
      And the Chubby client Writer has written "replicas=3" to /ls/local/config/service
      When 2 Chubby replicas fail, the master among them
      Then the Chubby cell elects a new master within 12 seconds
      And the Chubby client Writer reads "replicas=3" from /ls/local/config/service

    Scenario: A write survives every replica crashing and restarting from its disk
      Given a Chubby cell of 5 replicas
      And the Chubby client Writer has an open session
      And the Chubby client Writer has written "replicas=3" to /ls/local/config/service
      When every Chubby replica is down for 20 seconds
      Then the Chubby client Writer reads "replicas=3" from /ls/local/config/service
      And the Chubby timeline is shown

  Rule: No split brain: a master cut off from the majority stops serving when its lease ends

    On etcd the master is cut off by the fault-injecting proxy in front of its peer port: its Raft
    messages no longer reach the others, so it steps down (check-quorum) and the majority elects a
    leader in a newer term.

    Scenario: A master cut off from the other replicas steps down before another is elected
      Given a Chubby cell of 5 replicas
      When the Chubby master is cut off from the other replicas
      Then the old Chubby master stops serving within 6 seconds
      And the Chubby cell elects a new master within 12 seconds
      And at no time did two Chubby masters serve at once
      And the Chubby timeline is shown
