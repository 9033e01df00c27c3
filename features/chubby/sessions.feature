Feature: Chubby client sessions, KeepAlives, jeopardy and the grace period
  A Chubby client holds a *session* with the cell, kept alive by *KeepAlives*: the master holds each
  KeepAlive until the session lease (12 s by default, as in the paper) is near its end, then answers
  it with a new lease. When the client's local lease runs out without an answer, the session is in
  *jeopardy*: the client empties its cache and waits up to the *grace period* (45 s) for a master.
  A new master grants every session a fresh lease, so a session survives a failover found within
  the grace period. When a session expires, its locks are released and its ephemeral files deleted.

  The master extends a lease when it answers a KeepAlive, so a client that dies while its
  KeepAlive is held still gets that last extension: its session ends up to two leases later.
  The master only knows the lease it granted: a client cut off from the cell for longer than its
  lease loses its session even though its own grace period has not ended.

  On the real target a session is an etcd lease of 12 s. The client library's view of it (safe,
  jeopardy, expired) is kept on the client, as Chubby's is: jeopardy when no KeepAlive was answered
  within the lease, safe again on an answer within the grace period, expired when the grace period
  ends or etcd answers that the lease is gone. etcd extends every lease when a new leader takes
  over, as Chubby's new master does, so a session outlives a whole-cell outage found in time.

  Background:
    Given a Chubby cell of 5 replicas
    And the Chubby client App has an open session

  Rule: KeepAlives keep an idle session alive

    @target.embedded
    Scenario: An idle session stays safe for two minutes
      Embedded only: etcd answers a KeepAlive at once, where Chubby's master holds it until the lease is nearly over, so the cadence checked here does not exist on etcd.
      When the Chubby cell runs for 120 seconds
      Then the Chubby client App's session is safe
      And the Chubby client App saw no jeopardy
      And the Chubby master answered App's KeepAlives about every 11 seconds, 1 second before each lease ended

  Rule: A session survives a failover found within the grace period

    @target.embedded
    Scenario: The master fails; the session goes into jeopardy and is safe again
      Embedded only: etcd elects a new leader within a second, long before a 12 s session lease runs out, so a client never enters jeopardy when only the leader fails.
      When the Chubby master fails
      And the Chubby cell runs for 30 seconds
      Then the Chubby client App saw the session events jeopardy, master failed over, safe in that order
      And the Chubby client App's session is safe
      And the Chubby timeline is shown

    Scenario Outline: The whole cell is down for <seconds> seconds; the grace period is 45 seconds
      When every Chubby replica is down for <seconds> seconds
      And the Chubby cell runs for 30 seconds
      Then the Chubby client App's session is <state>
      And the Chubby timeline is shown

      Examples:
        | seconds | state   |
        | 20      | safe    |
        | 40      | safe    |
        | 70      | expired |

  Rule: The master expires a session whose lease ran out

    Scenario Outline: A client cut off for <seconds> seconds
      When the Chubby client App is cut off from the cell for <seconds> seconds
      And the Chubby cell runs for 5 seconds
      Then the Chubby client App's session is <state>
      And the Chubby client App saw the session events <events> in that order

      Examples:
        | seconds | state   | events                                     |
        | 5       | safe    | session opened                             |
        | 30      | expired | jeopardy, session expired, handle invalid  |

  Rule: Session expiry releases the session's locks and deletes its ephemeral files

    Scenario: A crashed client's lock is freed and its ephemeral file deleted
      Given the Chubby client App holds the lock /ls/local/jobs/owner
      And the Chubby client App has created the ephemeral file /ls/local/jobs/worker-App
      When the Chubby client App crashes
      Then the Chubby lock /ls/local/jobs/owner is free within 40 seconds
      And the Chubby file /ls/local/jobs/worker-App does not exist
