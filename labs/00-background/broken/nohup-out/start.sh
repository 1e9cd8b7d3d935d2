#!/bin/sh
nohup ./ticker &
