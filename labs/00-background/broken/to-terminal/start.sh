#!/bin/sh
./ticker &
