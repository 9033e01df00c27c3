Feature: User Login
  As a customer
  I want to log into my account
  So that I can access my personal dashboard and order history

  This is the seed's worked example of behaviour-driven development (day 8). Its three scenarios,
  tagged @seed-example, are kept word for word: they are the examples the business agreed on, and
  they run unchanged against a real shop. They are written imperatively, as a script of clicks and
  typing. The questions a customer or a tester asks next (when does the lock end, does a success
  forgive earlier failures, what does an unknown email see, what does logging out do) are answered
  beside this file in "Signing in to the shop" (sign_in.feature), written declaratively: what the
  customer does and what the shop answers, not which field is filled or which button is pressed.

  The shop is a server-rendered Starlette application. Passwords are stored as argon2id hashes
  (RFC 9106) at OWASP's recommended cost (19 MiB, 2 passes); an unknown email is checked against a
  dummy hash, so it takes the same path and gets the same answer as a wrong password. The third
  consecutive failure locks the account for 15 minutes; the clock is injected, so the scenarios let
  time pass without waiting. Sessions live in SQLite behind a signed, HttpOnly, SameSite cookie
  whose id changes at sign-in; every form carries a CSRF token.

  The same steps drive two targets: in process over HTTP, reading the HTML (the default), and
  headless Chromium through Playwright against the app served by uvicorn on 127.0.0.1
  (`behave -D target=real features/login`), which attaches a screenshot of every page a Then step
  checks.

  Background:
    Given the shop has a customer account for "John" with email "john@example.com" and password "mypassword123"

  @seed-example
  Scenario: Successful login with valid credentials
    Given I am on the login page
    When I enter valid email "john@example.com"
    And I enter valid password "mypassword123"
    And I click the "Login" button
    Then I should be redirected to my dashboard
    And I should see "Welcome back, John!"

  @seed-example
  Scenario: Login with invalid credentials
    Given I am on the login page
    When I enter email "john@example.com"
    And I enter incorrect password "wrongpassword"
    And I click the "Login" button
    Then I should remain on the login page
    And I should see error message "Invalid email or password"

  @seed-example
  Scenario: Account lockout after multiple failed attempts
    Given I am on the login page
    And I have already failed to login 2 times
    When I enter email "john@example.com"
    And I enter incorrect password "wrongpassword"
    And I click the "Login" button
    Then I should see "Account temporarily locked. Try again in 15 minutes"
    And the login form should be disabled
