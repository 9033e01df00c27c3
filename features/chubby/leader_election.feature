Feature: Electing an application leader with a Chubby lock
  The seed's example (day 2): a web service runs on three servers and needs one leader for its
  background tasks. The Chubby cell has five replicas, Replica2 being the master. Each server tries
  to take an exclusive advisory lock; the one that gets it is the leader, and it hands the lock's
  *sequencer* (lock name, mode, lock generation) to every server it acts on, so a leader that lost
  the lock cannot act any more: its stale sequencer is rejected.

  When a holder's session fails (the holder crashed or was cut off), Chubby keeps the lock
  unavailable for a *lock-delay* the holder chose (at most one minute, the paper's bound), so that
  late messages from the old leader drain before a new leader starts. A clean release has no delay.
  On the real target (etcd) the lock is etcd's lock held under a lease, and the sequencer is the
  lock key's revision (it only grows, so a newer holder's sequencer is greater, though not 1, 2, 3).
  The lock-delay is a second lease held beside the session's and renewed with it: a clean release
  deletes it, while a failed holder's outlives its session by the lock-delay. Raft elects etcd's
  first leader; a cell "with Replica2 as master" then hands Replica2 the lead (etcd's MoveLeader).

  Background:
    Given a Chubby cell of 5 replicas with Replica2 as master
    And the Chubby clients WebServer1, WebServer2, WebServer3 have open sessions

  Rule: One exclusive holder at a time, and stale holders are fenced off by sequencers

    @seed-example
    Scenario: Three web servers elect a leader; the leader fails; a late write of the old leader is rejected
      When the Chubby clients WebServer1, WebServer2, WebServer3 try to take the lock /ls/local/webservice/leader with a lock-delay of 10 seconds
      Then the Chubby client WebServer1 is the leader holding /ls/local/webservice/leader with lock generation 1
      And the Chubby clients WebServer2, WebServer3 were refused the lock /ls/local/webservice/leader
      When the Chubby client WebServer1 is cut off from the cell
      And the Chubby clients WebServer2, WebServer3 retry the lock /ls/local/webservice/leader every 1 seconds until one holds it
      Then the new leader took the lock /ls/local/webservice/leader no earlier than 10 seconds after WebServer1's session expired
      And the new leader holds /ls/local/webservice/leader with lock generation 2
      When the Chubby client WebServer1 sends a late write to the fenced storage with its old sequencer
      Then the fenced storage rejects the write of WebServer1 as stale
      And the fenced storage accepts a write of the new leader
      And the Chubby timeline is shown

    Scenario: A crashed leader's lock passes to another server, whose sequencer is newer
      When the Chubby clients WebServer1, WebServer2 try to take the lock /ls/local/webservice/leader with a lock-delay of 0 seconds
      Then the Chubby client WebServer1 is the leader holding /ls/local/webservice/leader
      When the Chubby client WebServer1 crashes
      And the Chubby clients WebServer2 retry the lock /ls/local/webservice/leader every 1 seconds until one holds it
      Then the Chubby client WebServer2 holds /ls/local/webservice/leader with a newer sequencer than WebServer1's
      When the Chubby client WebServer1 sends a late write to the fenced storage with its old sequencer
      Then the fenced storage rejects the write of WebServer1 as stale

    Scenario: A leader that releases the lock hands over at once, without lock-delay
      When the Chubby clients WebServer1, WebServer2 try to take the lock /ls/local/webservice/leader with a lock-delay of 30 seconds
      And the Chubby client WebServer1 releases the lock /ls/local/webservice/leader
      And the Chubby clients WebServer2 retry the lock /ls/local/webservice/leader every 1 seconds until one holds it
      Then the Chubby client WebServer2 holds /ls/local/webservice/leader with a newer sequencer than WebServer1's

  Rule: Lock holders and watchers are told of lock events

    @target.embedded
    Scenario: The leader hears of a conflicting request; a watcher hears the lock change hands
      Embedded only: etcd's lock API tells a holder nothing of conflicting requests, and has no lock events to subscribe to.
      When the Chubby clients WebServer1 try to take the lock /ls/local/webservice/leader with a lock-delay of 0 seconds
      And the Chubby client WebServer1 subscribes to "conflicting lock request" on /ls/local/webservice/leader
      And the Chubby client WebServer3 subscribes to "lock acquired" on /ls/local/webservice/leader
      And the Chubby clients WebServer2 try to take the lock /ls/local/webservice/leader with a lock-delay of 0 seconds
      And the Chubby client WebServer1 releases the lock /ls/local/webservice/leader
      And the Chubby clients WebServer2 retry the lock /ls/local/webservice/leader every 1 seconds until one holds it
      And the Chubby cell runs for 1 seconds
      Then the Chubby client WebServer1 received these events:
        | event                    | path                        |
        | conflicting lock request | /ls/local/webservice/leader |
      And the Chubby client WebServer3 received these events:
        | event         | path                        |
        | lock acquired | /ls/local/webservice/leader |

  Rule: After a holder fails, its lock stays unavailable for the lock-delay it chose

    Scenario Outline: A failed holder's lock-delay of <delay> seconds
      When the Chubby clients WebServer1, WebServer2 try to take the lock /ls/local/jobs/lock with a lock-delay of <delay> seconds
      And the Chubby client WebServer1 crashes
      And the Chubby clients WebServer2 retry the lock /ls/local/jobs/lock every 1 seconds until one holds it
      Then the new leader took the lock /ls/local/jobs/lock no earlier than <delay> seconds after WebServer1's session expired

      Examples:
        | delay |
        | 0     |
        | 5     |
        | 60    |

    Scenario: A lock-delay beyond one minute is refused
      Then the Chubby client WebServer1 cannot choose a lock-delay of 61 seconds

  Rule: Shared locks admit many readers but no writer

    @target.embedded
    Scenario: Two shared holders exclude an exclusive one
      Embedded only: etcd's locks are exclusive; it has no shared mode.
      When the Chubby clients WebServer1, WebServer2 take the lock /ls/local/data/lock in shared mode
      Then the Chubby client WebServer3 is refused the lock /ls/local/data/lock in exclusive mode
      And the Chubby lock /ls/local/data/lock has 2 holders
