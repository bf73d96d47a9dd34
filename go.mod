module github.com/balancebot/balancebot

go 1.26.8
